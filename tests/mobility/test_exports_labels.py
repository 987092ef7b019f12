"""The office's list of mobilities as CSV opens in Excel in the reader's language (issue 18,
point 15): a BOM, labels in the header row, the kind, the state, the learning agreement's state
and the host country as words, never the codes the database stores."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import Mobility
from tests.jobs import follow_job
from tests.mobility.factories import agreement_with_rows
from tests.mobility.test_office_views import media, mobility, office_client  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_mobilities_csv_in_italian(office_client: Client, mobility: Mobility) -> None:  # noqa: F811
    agreement_with_rows(mobility, state=LearningAgreementState.APPROVED)
    # the job is made in the asker's language, and so is its file
    asked = office_client.post(reverse("mobility:office_export"), HTTP_ACCEPT_LANGUAGE="it")
    job, _page = follow_job(office_client, asked)
    assert job.language == "it"
    response = office_client.get(reverse("job_file", args=[job.pk]))
    assert response.status_code == 200
    data = response.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    text = data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:8] == [
        "Studente",
        "Matricola",
        "E-mail",
        "Corso di studio",
        "Istituzione ospitante",
        header[5],  # "Host's Erasmus code": Italian once po/wp-demo.po is merged
        "Paese ospitante",
        "Anno accademico",
    ]
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["Paese ospitante"] == "Germania"
    assert row["Tipo"] == "Un semestre"
    assert row["Stato"] == "Segnalata all'università ospitante (nomination)"
    for code in ("nominated", "semester", "approved", ",DE,"):
        assert code not in text, code
    assert "Approvata dal docente promotore" in text
