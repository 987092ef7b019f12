"""The privacy pages, rendered, for every persona: the notice (public, English and Italian),
My data (the signed-in person's own), the office's pages (404 for anybody else)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from abroad.core.models import AuditEvent
from abroad.mobility.enums import MobilityState
from abroad.people.models import User
from abroad.privacy.erasure import is_erased
from tests.mobility.factories import MobilityFactory
from tests.privacy.conftest import Record

pytestmark = pytest.mark.integration

PERSONAS = ["student", "other_student", "promoter", "office", "anonymous"]


def zip_of(response: object) -> zipfile.ZipFile:
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return zipfile.ZipFile(io.BytesIO(content))


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_notice_is_public(persona: str, personas: dict[str, Client], settings: object) -> None:
    response = personas[persona].get(reverse("privacy:notice"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Privacy notice" in page
    assert "10 years after the mobility ends" in page
    assert "6 months later" in page
    assert reverse("privacy:my_data") in page
    assert reverse("catalogue:contacts") in page


def test_the_notice_reads_the_retention_settings(client: Client, settings: object) -> None:
    settings.RETENTION_RECORDS_YEARS = 7  # type: ignore[attr-defined]
    settings.RETENTION_INACTIVE_YEARS = 0  # type: ignore[attr-defined]

    page = client.get(reverse("privacy:notice")).content.decode()

    assert "7 years after the mobility ends" in page
    assert "pseudonymised" not in page


@pytest.mark.django_db
def test_the_notice_in_italian(client: Client) -> None:
    page = client.get(reverse("privacy:notice"), HTTP_ACCEPT_LANGUAGE="it").content.decode()

    # The Italian strings are in the project's catalogue once the translations are merged.
    with translation.override("it"):
        title = translation.gettext("Privacy notice")
    assert '<html lang="it">' in page
    assert f"<h1>{title}</h1>" in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [("student", 200), ("other_student", 200), ("promoter", 200), ("office", 200)],
)
def test_my_data_shows_ones_own_records(
    persona: str, status: int, personas: dict[str, Client], owner: Record
) -> None:
    response = personas[persona].get(reverse("privacy:my_data"))

    assert response.status_code == status
    page = response.content.decode()
    assert "Download my data" in page
    if persona == "student":
        assert "<td>Mobilities</td>" in page
    else:
        assert "<td>Mobilities</td>" not in page


def test_my_data_sends_anonymous_visitors_to_log_in(client: Client, db: None) -> None:
    for name in ("privacy:my_data", "privacy:my_data_export"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_a_student_downloads_their_own_data(
    personas: dict[str, Client], owner: Record, others: Record
) -> None:
    response = personas["student"].post(reverse("privacy:my_data_export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zip_of(response)
    assert {"data.json", "index.html"} <= set(archive.namelist())
    assert "other-student" not in archive.read("data.json").decode()
    event = AuditEvent.objects.get(action="privacy.exported")
    assert event.actor == owner.person


def test_the_download_is_a_post(personas: dict[str, Client], owner: Record) -> None:
    assert personas["student"].get(reverse("privacy:my_data_export")).status_code == 405
    assert not AuditEvent.objects.filter(action="privacy.exported").exists()


OFFICE_PAGES = ["privacy:office_person", "privacy:office_erase"]


@pytest.mark.parametrize("persona", ["student", "other_student", "promoter"])
def test_office_pages_do_not_exist_for_others(
    persona: str, personas: dict[str, Client], owner: Record
) -> None:
    client = personas[persona]
    pk = owner.person.pk
    assert client.get(reverse("privacy:office_people")).status_code == 404
    for name in OFFICE_PAGES:
        assert client.get(reverse(name, args=[pk])).status_code == 404
    assert client.post(reverse("privacy:office_export", args=[pk])).status_code == 404
    assert client.post(reverse("privacy:office_erase", args=[pk])).status_code == 404
    owner.person.refresh_from_db()
    assert not is_erased(owner.person)
    assert not AuditEvent.objects.filter(action__startswith="privacy.").exists()


def test_office_pages_send_anonymous_visitors_to_log_in(
    personas: dict[str, Client], owner: Record
) -> None:
    client = personas["anonymous"]
    pk = owner.person.pk
    urls = [reverse("privacy:office_people"), *(reverse(name, args=[pk]) for name in OFFICE_PAGES)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    assert client.post(reverse("privacy:office_erase", args=[pk])).status_code == 302
    owner.person.refresh_from_db()
    assert not is_erased(owner.person)


def test_the_office_finds_a_person(personas: dict[str, Client], owner: Record) -> None:
    response = personas["office"].get(reverse("privacy:office_people"), {"q": "100234"})

    assert response.status_code == 200
    assert reverse("privacy:office_person", args=[owner.person.pk]) in response.content.decode()


def test_another_schools_office_neither_finds_nor_opens_the_student(
    personas: dict[str, Client], owner: Record
) -> None:
    from abroad.people.models import User as Person

    person = Person.objects.get(pk=owner.person.pk)
    assert person.course_of_study is not None  # a student of the 3I School
    client = personas["other_school_office"]
    found = client.get(reverse("privacy:office_people"), {"q": "100234"})
    assert reverse("privacy:office_person", args=[person.pk]) not in found.content.decode()
    assert client.get(reverse("privacy:office_person", args=[person.pk])).status_code == 404
    assert client.post(reverse("privacy:office_export", args=[person.pk])).status_code == 404
    assert client.post(reverse("privacy:office_erase", args=[person.pk])).status_code == 404
    assert not is_erased(person)
    page = personas["school_office"].get(reverse("privacy:office_person", args=[person.pk]))
    assert page.status_code == 200


def test_the_office_downloads_anyones_data(
    personas: dict[str, Client], owner: Record, office: User
) -> None:
    page = personas["office"].get(reverse("privacy:office_person", args=[owner.person.pk]))
    assert page.status_code == 200
    assert reverse("privacy:office_erase", args=[owner.person.pk]) in page.content.decode()

    response = personas["office"].post(reverse("privacy:office_export", args=[owner.person.pk]))

    assert response.status_code == 200
    data = zip_of(response).read("data.json").decode()
    assert '"100234"' in data
    assert AuditEvent.objects.get(action="privacy.exported").actor == office


def test_the_office_erases_after_confirming(
    personas: dict[str, Client], owner: Record, office: User
) -> None:
    url = reverse("privacy:office_erase", args=[owner.person.pk])
    confirm = personas["office"].get(url)
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    owner.person.refresh_from_db()
    assert not is_erased(owner.person)

    response = personas["office"].post(url, follow=True)

    owner.person.refresh_from_db()
    assert is_erased(owner.person)
    assert "The person was pseudonymised" in response.content.decode()
    again = personas["office"].post(url, follow=True)
    assert "already erased" in again.content.decode()
    assert AuditEvent.objects.filter(action="privacy.erased").count() == 1


def test_the_office_sees_why_an_erasure_is_refused(
    personas: dict[str, Client], owner: Record
) -> None:
    MobilityFactory.create(student=owner.person, state=MobilityState.ACCEPTED)
    url = reverse("privacy:office_erase", args=[owner.person.pk])

    page = personas["office"].get(reverse("privacy:office_person", args=[owner.person.pk]))
    assert "mobility in progress" in page.content.decode()
    assert url not in page.content.decode()
    response = personas["office"].post(url, follow=True)

    assert "mobility in progress" in response.content.decode()
    owner.person.refresh_from_db()
    assert not is_erased(owner.person)


def test_the_office_cannot_erase_itself(personas: dict[str, Client], office: User) -> None:
    response = personas["office"].post(
        reverse("privacy:office_erase", args=[office.pk]), follow=True
    )

    assert "cannot erase your own account" in response.content.decode()
    office.refresh_from_db()
    assert office.is_active


def test_pages_have_no_inline_script_or_style(
    personas: dict[str, Client], owner: Record, office: User
) -> None:
    pk = owner.person.pk
    pages = [
        personas["anonymous"].get(reverse("privacy:notice")),
        personas["student"].get(reverse("privacy:my_data")),
        personas["office"].get(reverse("privacy:office_people"), {"q": "student"}),
        personas["office"].get(reverse("privacy:office_person", args=[pk])),
        personas["office"].get(reverse("privacy:office_erase", args=[pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        assert "<style" not in page
        assert " style=" not in page
        assert "<script>" not in page


def test_the_office_cannot_erase_a_staff_account(personas: dict[str, Client], office: User) -> None:
    colleague = User.objects.create(username="office-2", role="office")
    page = personas["office"].get(reverse("privacy:office_person", args=[colleague.pk]))
    assert "Only an administrator can erase a staff account." in page.content.decode()

    response = personas["office"].post(
        reverse("privacy:office_erase", args=[colleague.pk]), follow=True
    )

    assert "Only an administrator can erase a staff account." in response.content.decode()
    colleague.refresh_from_db()
    assert colleague.is_active
