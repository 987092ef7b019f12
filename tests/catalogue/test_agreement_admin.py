"""The office's import and export of agreements in the admin."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from abroad.catalogue.importers.agreements import import_agreements
from abroad.catalogue.models import Agreement, Institution
from abroad.core.models import Job
from abroad.people.enums import Role
from abroad.people.models import User
from tests.catalogue.test_import_agreements import GOOD_ROWS, with_cell, write_csv
from tests.conftest import logged_in
from tests.factories import AgreementFactory, OfferFactory, UserFactory
from tests.jobs import exported, follow_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

IMPORT_URL = "admin:catalogue_agreement_import"


@pytest.fixture
def office_staff() -> Client:
    """The office as it uses the admin: a staff account with the office role."""
    user: User = UserFactory.create(username="imu", role=Role.OFFICE, is_staff=True, password="!")
    return logged_in(user)


def upload(path: Path, **data: Any) -> dict[str, Any]:
    return {"file": SimpleUploadedFile(path.name, path.read_bytes()), **data}


def test_the_change_list_offers_import_and_export_to_the_office(
    office_staff: Client, db: None
) -> None:
    page = office_staff.get(reverse("admin:catalogue_agreement_changelist")).text
    assert reverse(IMPORT_URL) in page
    assert reverse("admin:catalogue_agreement_export", args=["xlsx"]) in page


def test_the_office_imports_a_file_and_sees_the_report(
    office_staff: Client, agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    page = office_staff.get(reverse(IMPORT_URL))
    assert page.status_code == 200
    assert "partner_erasmus_code" in page.text  # the columns are explained

    path = write_csv(tmp_path / "agreements.csv", GOOD_ROWS)
    job, response = follow_job(office_staff, office_staff.post(reverse(IMPORT_URL), upload(path)))

    assert response.status_code == 200
    assert job.report["counts"]["agreements_created"] == 2
    assert "Imported:" in response.text
    assert "DELFT-1" in response.text
    assert Agreement.objects.count() == 2
    assert Agreement.objects.get(code="DELFT-1").offers.count() == 2


def test_the_office_sees_every_problem_and_nothing_is_imported(
    office_staff: Client, agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "agreements.csv", with_cell("seats", "three"))
    _job, response = follow_job(office_staff, office_staff.post(reverse(IMPORT_URL), upload(path)))
    assert response.status_code == 200
    assert "Nothing was imported: the file has 1 problem." in response.text
    assert "&#x27;three&#x27; is not a whole number between 1 and 200" in response.text
    assert Agreement.objects.count() == 0


def test_a_dry_run_from_the_admin_writes_nothing(
    office_staff: Client, agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "agreements.csv", GOOD_ROWS)
    response = office_staff.post(reverse(IMPORT_URL), upload(path, dry_run="on"))
    assert "The file is correct. Importing it would do this:" in response.text
    assert Agreement.objects.count() == 0


def test_a_file_of_another_type_is_refused_by_the_form(office_staff: Client, db: None) -> None:
    response = office_staff.post(
        reverse(IMPORT_URL), {"file": SimpleUploadedFile("agreements.pdf", b"%PDF")}
    )
    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["form"].errors["file"] == [
        "File extension “pdf” is not allowed. Allowed extensions are: xlsx, csv."
    ]


def test_a_student_is_sent_to_the_login_page(
    personas: dict[str, Client], agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "agreements.csv", GOOD_ROWS)
    for name in ("student", "anonymous"):
        response = personas[name].post(reverse(IMPORT_URL), upload(path))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert Agreement.objects.count() == 0


def test_staff_who_are_not_the_office_get_404(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    professor = logged_in(
        UserFactory.create(username="staff-prof", role=Role.PROMOTER, is_staff=True, password="!")
    )
    path = write_csv(tmp_path / "agreements.csv", GOOD_ROWS)
    assert professor.get(reverse(IMPORT_URL)).status_code == 404
    assert professor.post(reverse(IMPORT_URL), upload(path)).status_code == 404
    export = reverse("admin:catalogue_agreement_export", args=["csv"])
    assert professor.get(export).status_code == 404
    assert professor.post(export).status_code == 404
    assert Agreement.objects.count() == 0
    assert not Job.objects.exists()


def test_the_export_action_downloads_the_selected_agreements(
    office_staff: Client, db: None
) -> None:
    """The action makes the file in the background worker: the change list's post leads to the
    job's page, which gives the file of the selected agreements only."""
    chosen = OfferFactory.create(agreement__code="CHOSEN").agreement
    OfferFactory.create(agreement__code="OTHER")
    response = exported(
        office_staff,
        reverse("admin:catalogue_agreement_changelist"),
        {"action": "export_xlsx", "_selected_action": [chosen.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="agreements-')
    assert '.xlsx"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == ["CHOSEN"]


def test_export_all_as_csv_reads_back(office_staff: Client, db: None) -> None:
    AgreementFactory.create(code="AGR-A")
    AgreementFactory.create(code="AGR-B")
    url = reverse("admin:catalogue_agreement_export", args=["csv"])
    assert office_staff.get(url).status_code == 405  # the button posts: a link makes nothing
    assert not Job.objects.exists()
    response = exported(office_staff, url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    report = import_agreements(io.BytesIO(content), name="a.csv", dry_run=True)
    assert report.errors == []
    assert [outcome.code for outcome in report.unchanged] == ["AGR-A", "AGR-B"]
    unknown = reverse("admin:catalogue_agreement_export", args=["pdf"])
    assert office_staff.post(unknown).status_code == 404


def test_an_agreement_with_a_partner_withdrawn_from_the_eche_list_is_flagged(
    office_staff: Client, db: None
) -> None:
    withdrawn: Agreement = AgreementFactory.create(code="AGR-GONE")
    withdrawn.partner.eche_withdrawn_on = dt.date(2026, 4, 8)
    withdrawn.partner.save()
    listed: Agreement = AgreementFactory.create(code="AGR-LISTED")
    changelist = reverse("admin:catalogue_agreement_changelist")

    page = office_staff.get(changelist).text
    assert "Withdrawn on 2026-04-08" in page

    filtered = office_staff.get(changelist, {"partner_eche": "withdrawn"}).text
    assert "AGR-GONE" in filtered
    assert "AGR-LISTED" not in filtered

    change = office_staff.get(reverse("admin:catalogue_agreement_change", args=[withdrawn.pk]))
    assert "Withdrawn on 2026-04-08" in change.text
    assert office_staff.get(reverse("admin:catalogue_agreement_add")).status_code == 200
    assert (
        "Withdrawn on"
        not in office_staff.get(reverse("admin:catalogue_agreement_change", args=[listed.pk])).text
    )


def test_the_institution_list_filters_the_withdrawn(office_staff: Client, db: None) -> None:
    Institution.objects.create(
        name="Gone University", country="GR", eche_withdrawn_on=dt.date(2026, 4, 8)
    )
    Institution.objects.create(name="Listed University", country="NL")
    page = office_staff.get(
        reverse("admin:catalogue_institution_changelist"), {"eche": "withdrawn"}
    ).text
    assert "Gone University" in page
    assert "Listed University" not in page
