"""The export holds the e-mails written to the person (the outbox's subject, when and state),
never those to other people, nor the other recipients of a message to several people."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.core import mail
from abroad.core.models import OutboxMessage, OutboxRecipient, OutboxState
from abroad.people.models import User
from abroad.privacy.collect import collect
from abroad.privacy.erasure import erase_person
from abroad.privacy.export import export_person
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

WHEN = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)


def written(to: list[str], subject: str, state: str = OutboxState.SENT) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        recipients=to,
        template="mobility/email/reminder_la",
        language="en",
        subject=subject,
        state=state,
        sent_at=WHEN if state == OutboxState.SENT else None,
        last_error="SMTPRecipientsRefused: other@polimi.example" if state != "sent" else "",
    )
    return message


@pytest.fixture
def anna() -> User:
    person: User = UserFactory.create(username="anna", email="Anna@Polimi.example")
    written(["anna@polimi.example"], "Your learning agreement is not submitted yet")
    written(
        ["anna@polimi.example", "other@polimi.example"], "Your seat", state=OutboxState.RETRYING
    )
    written(["other@polimi.example"], "Somebody else's transcript")
    written(["joanna@polimi.example"], "Joanna's acceptance letter")  # the address inside
    return person


def exported(person: User) -> tuple[dict[str, Any], str]:
    out = io.BytesIO()
    export_person(actor=person, person=person, out=out)
    archive = zipfile.ZipFile(out)
    return json.loads(archive.read("data.json")), archive.read("index.html").decode()


def test_the_export_holds_the_e_mails_written_to_the_person_only(anna: User) -> None:
    data, index = exported(anna)
    mails = sorted(data["e_mails"], key=lambda m: m["subject"])
    assert [(m["subject"], m["state"]) for m in mails] == [
        ("Your learning agreement is not submitted yet", "sent"),
        ("Your seat", "retrying"),
    ]
    assert set(mails[0]) == {"created_at", "sent_at", "subject", "state"}
    assert mails[0]["sent_at"] is not None
    assert mails[1]["sent_at"] is None
    text = json.dumps(data)
    for foreign in ("other@polimi.example", "Somebody else", "Joanna", "SMTPRecipientsRefused"):
        assert foreign not in text
        assert foreign not in index
    assert "E-mails sent to you" in index
    assert "Your learning agreement is not submitted yet" in index
    assert collect(anna).count == 1 + 2 + len(collect(anna).events)


def test_somebody_without_e_mails_exports_none(anna: User) -> None:
    nobody: User = UserFactory.create(username="marco", email="marco@polimi.example")
    data, _index = exported(nobody)
    assert data["e_mails"] == []


def test_my_data_counts_the_e_mails(anna: User) -> None:
    client = Client()
    client.force_login(anna)
    page = client.get(reverse("privacy:my_data")).content.decode()
    assert "Outgoing e-mails" in page


def test_the_e_mails_to_a_former_address_are_theirs_too(
    anna: User, django_capture_on_commit_callbacks: Any
) -> None:
    """An e-mail queued to the account is linked to it: after Anna changes her address, the
    export still holds it (the old address itself is not shown); a plain address is nobody's
    account."""
    anna.email = "anna.old@polimi.example"
    anna.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=False):
        mail.send("mobility/email/reminder_la", {}, [anna, "office@polimi.example"])
        mail.send("mobility/email/reminder_la", {}, "anna.other@polimi.example")
    OutboxMessage.objects.filter(recipients__icontains="anna.old@").update(
        subject="Sent to the old address"
    )
    anna.email = "anna@polimi.example"
    anna.save(update_fields=["email"])

    data, index = exported(anna)

    subjects = sorted(m["subject"] for m in data["e_mails"])
    assert "Sent to the old address" in subjects
    assert len(subjects) == 3  # and the two written to her address today
    assert "anna.old@polimi.example" not in json.dumps(data)
    assert "office@polimi.example" not in index


def test_erasure_takes_the_person_out_of_the_outbox(
    anna: User, office: User, django_capture_on_commit_callbacks: Any
) -> None:
    """Her messages alone are deleted; in one to several people her addresses (today's, and
    a former one her account was written to) leave the recipients and the others' stay."""
    anna.email = "anna.old@polimi.example"
    anna.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=False):
        mail.send("mobility/email/reminder_la", {}, anna)
        mail.send("mobility/email/reminder_la", {}, [anna, "colleague@polimi.example"])
    anna.email = "anna@polimi.example"
    anna.save(update_fields=["email"])
    before = OutboxMessage.objects.count()

    report = erase_person(actor=office, person=anna)

    assert report.changed
    left = sorted(message.recipients for message in OutboxMessage.objects.all())
    assert left == [
        ["colleague@polimi.example"],  # written to her and a colleague: the colleague's stays
        ["joanna@polimi.example"],
        ["other@polimi.example"],  # "Your seat", to her and another
        ["other@polimi.example"],
    ]
    assert OutboxMessage.objects.count() == before - 2  # the two to her alone
    assert not OutboxRecipient.objects.exists()
    assert collect(anna).messages == []
