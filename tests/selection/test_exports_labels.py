"""The call's downloads open in Excel in the reader's language (issue 18, point 15): a BOM,
labels in the header row, degree levels, yes/no and the parts of a score as words, never the
codes the database stores (``MSc``, ``credits_per_year``, ``yes``)."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from abroad.selection import services
from abroad.selection.exports import export_nominations, export_ranking
from abroad.selection.models import Call
from tests.selection.test_exports import call  # noqa: F401  (the fixture)
from tests.selection.test_office_views import build_call

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_nominations_csv_in_italian(call: Call) -> None:  # noqa: F811
    buffer = io.BytesIO()
    with translation.override("it"):
        export_nominations(call, buffer, fmt="csv")
    data = buffer.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "Partner,codice Erasmus,Studente,Matricola,E-mail,Corso di studio,Livello,Mesi,"
        "Anno accademico"
    )
    assert "Laurea Magistrale (Master)" in lines[1]
    assert ",MSc," not in "\n".join(lines)


def test_nominations_xlsx_in_italian(call: Call) -> None:  # noqa: F811
    import openpyxl

    buffer = io.BytesIO()
    with translation.override("it"):
        export_nominations(call, buffer, fmt="xlsx")
    buffer.seek(0)
    rows = list(openpyxl.load_workbook(buffer)["Nominations"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Partner", "codice Erasmus", "Studente", "Matricola")
    assert {row[6] for row in rows[1:]} == {"Laurea Magistrale (Master)", "Laurea (Bachelor)"}


def test_ranking_csv_in_italian() -> None:
    """Italian for the labels that existed already; the new ones ("Eligibility notes",
    "Preferences", "Eligible") are in Italian once the lead merges po/wp-demo.po."""
    scene = build_call()
    services.rank_call(call=scene.call)
    buffer = io.BytesIO()
    applications = scene.call.applications.order_by("rank").prefetch_related(
        "preferences__call_offer__offer__agreement__partner"
    )
    with translation.override("it"):
        export_ranking(applications, buffer, call=scene.call, actor=None)
    data = buffer.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Posizione,Studente,Matricola,Corso di studio,Livello,Punteggio,")
    first = lines[1]
    assert "Laurea Magistrale (Master)" in first
    assert "media: 29.000; crediti per anno: 70.000" in first
    assert ",sì," in first
    for code in ("MSc", "credits_per_year", "average=", ",yes,"):
        assert code not in data.decode("utf-8-sig"), code
    # the new labels (po/wp-demo.po, merged by the lead)
    assert lines[0].endswith("Ammissibile,Note di ammissibilità,Preferenze")
