"""``python -m abroad ewp export|import ...``: each subcommand's output and effect, and its
refusals (a CommandError with the service's message, exit status 1, nothing stored)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from abroad.catalogue.models import Agreement, Institution
from abroad.ewp import iia, las, nominations, services
from abroad.ewp.management.commands.ewp import Command
from abroad.ewp.models import IiaLink, Inbound
from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import Mobility
from tests.ewp.conftest import nominee_details, official
from tests.ewp.test_iia import partner_copy
from tests.ewp.test_las import change, signed_first, update
from tests.mobility.factories import MobilityFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("ewp", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as error:
        call_command("ewp", *args, stdout=StringIO(), stderr=StringIO())
    assert error.value.returncode == 1
    return str(error.value)


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def mobility(agreement: Agreement) -> Mobility:
    mobility = MobilityFactory.create(offer=agreement.offers.first(), host=agreement.partner)
    nominee_details(mobility.student)
    signed_first(mobility)
    return mobility


def test_export_iia_to_the_terminal_and_to_a_file(agreement: Agreement, tmp_path: Path) -> None:
    [ours] = iia.parse(run("export", "iia", "E+ NL DELFT01").encode())
    assert ours.partners[0].iia_code == "E+ NL DELFT01"
    target = tmp_path / "iia.xml"
    output = run("export", "iia", "E+ NL DELFT01", "-o", str(target))
    assert output.startswith(f"Wrote {target} (")
    assert iia.parse(target.read_bytes())[0].iia_hash == ours.iia_hash
    assert refused("export", "iia", "NOPE") == "no agreement has the reference 'NOPE'"


def test_export_la(mobility: Mobility) -> None:
    [la] = las.parse(run("export", "la", str(mobility.pk)).encode())
    assert la.omobility_id == str(services.mobility_link(mobility).omobility_id)
    assert refused("export", "la", "999999") == "no mobility has the id 999999"


def test_export_la_refused_by_the_service(agreement: Agreement) -> None:
    mobility = MobilityFactory.create(offer=agreement.offers.first(), host=agreement.partner)
    assert "there is nothing to send" in refused("export", "la", str(mobility.pk))


def test_export_nominations(mobility: Mobility) -> None:
    [found] = nominations.parse(run("export", "nominations", "--year", "2026/2027").encode())
    assert found.omobility_id == str(services.mobility_link(mobility).omobility_id)
    assert nominations.parse(run("export", "nominations", "--year", "2030").encode()) == []
    assert run("export", "nominations", "--host", "TUDELFT.NL").count("<student-mobility>") == 1
    assert "no institution has the SCHAC code" in refused("export", "nominations", "--host", "x")
    assert "is not an academic year" in refused("export", "nominations", "--year", "soon")


def test_import_iia_prints_the_differences_and_keeps_it_waiting(
    agreement: Agreement, tmp_path: Path
) -> None:
    output = run("import", "iia", write(tmp_path / "t.xml", partner_copy(agreement, months=18)))
    inbound = Inbound.objects.get()
    assert output.splitlines()[:2] == [
        f"IIA TUD/2026/77 from tudelft.nl, item 1 (inbox #{inbound.pk})",
        "  compared with E+ NL DELFT01",
    ]
    assert "total-months-per-year: ours 15 | theirs 18" in output
    assert inbound.state == Inbound.State.PENDING


def test_import_iia_and_accept(agreement: Agreement, tmp_path: Path) -> None:
    path = write(tmp_path / "t.xml", partner_copy(agreement, months=18))
    output = run("import", "iia", path, "--accept")
    assert "  E+ NL DELFT01 updated: 0 offers added, 1 updated." in output
    assert Inbound.objects.get().state == Inbound.State.APPLIED
    assert IiaLink.objects.get(agreement=agreement).partner_iia_id == "DELFT-77"


def test_import_iia_into_a_new_agreement(agreement: Agreement, tmp_path: Path) -> None:
    link = services.iia_link(agreement)
    data = partner_copy(agreement).replace(str(link.iia_id).encode(), b"unknown")
    data = data.replace(b"DELFT-77", b"DELFT-99")
    output = run("import", "iia", write(tmp_path / "n.xml", data), "--accept", "--code", "NEW-1")
    assert "  a new agreement" in output
    assert "NEW-1 created: 1 offers added, 0 updated." in output
    assert Agreement.objects.get(code="NEW-1").partner == agreement.partner


def test_import_iia_refusals_store_nothing(agreement: Agreement, tmp_path: Path) -> None:
    assert "does not follow the EWP schema" in refused(
        "import",
        "iia",
        write(
            tmp_path / "bad.xml",
            b'<iias-get-response xmlns="%s"><x/></iias-get-response>' % iia.NS["i"].encode(),
        ),
    )
    assert refused("import", "iia", str(tmp_path / "missing.xml")).startswith("no file")
    assert (
        refused("import", "iia", "x.xml", "--code", "A")
        == "--agreement and --code go with --accept"
    )
    # an acceptance refused: the copy is not kept waiting either
    Institution.objects.filter(pk=agreement.partner_id).update(schac_code="elsewhere.eu")
    data = partner_copy(agreement)
    assert "agreement with" in refused(
        "import", "iia", write(tmp_path / "t.xml", data), "--accept", "--agreement", "E+ NL DELFT01"
    )
    assert Inbound.objects.count() == 0


def test_import_la_update(mobility: Mobility, tmp_path: Path) -> None:
    second = change(mobility, mobility.learning_agreements.get())
    path = write(tmp_path / "u.xml", update(mobility, second))
    output = run("import", "la-update", path)
    assert output.startswith(
        f"Approval of {services.mobility_link(mobility).omobility_id}-v2: Applied"
    )
    second.refresh_from_db()
    assert second.state == LearningAgreementState.SIGNED
    # the same answer again: kept as refused, and the command fails with the reason
    assert "not waiting for the host" in refused("import", "la-update", path)
    assert Inbound.objects.filter(state=Inbound.State.REFUSED).count() == 1


def test_import_tor_for_an_unknown_mobility(home: Institution, tmp_path: Path) -> None:
    data = official("ewp-specs-api-imobility-tors/endpoints/get-response-example.xml")
    assert refused("import", "tor", write(tmp_path / "t.xml", data)) == (
        "1 of 1 transcripts refused"
    )
    assert Inbound.objects.get().state == Inbound.State.REFUSED


def test_import_tor_of_bad_xml(home: Institution, tmp_path: Path) -> None:
    assert "not well-formed" in refused("import", "tor", write(tmp_path / "t.xml", b"<a"))
    assert Inbound.objects.count() == 0


def test_a_refusal_exits_with_status_1(monkeypatch: Any, capsys: Any, home: Institution) -> None:
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exit:
        Command().run_from_argv(["abroad", "ewp", "export", "la", "999999"])
    assert exit.value.code == 1
    assert capsys.readouterr().err == "CommandError: no mobility has the id 999999\n"
