"""The office's outbox page (/office/outbox/): the office only (404 for everybody else, log-in
for anonymous visitors), 50 e-mails a page, filtered by state, in a constant number of
queries; the admin shows the outbox read-only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from abroad.core.models import OutboxMessage, OutboxState
from abroad.people.models import User
from tests.who_may import who_may

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

URL = "/office/outbox/"


def message(state: str = OutboxState.SENT, **fields: Any) -> OutboxMessage:
    defaults: dict[str, Any] = {
        "recipients": ["anna@example.org"],
        "subject": "Your application was received",
        "template": "selection/email/submitted",
        "language": "en",
        "state": state,
    }
    return OutboxMessage.objects.create(**(defaults | fields))


def test_the_url() -> None:
    assert reverse("outbox") == URL


def test_only_the_office_may_read_the_outbox(people: dict[str, object]) -> None:
    assert who_may(people, "core.view_outboxmessage") == {"office", "superuser"}


def test_each_persona(personas: dict[str, Client]) -> None:
    message(recipients=["secret@example.org"])
    answers = {name: client.get(URL) for name, client in personas.items()}
    assert answers["office"].status_code == 200
    assert "secret@example.org" in answers["office"].text
    for name in ("student", "other_student", "promoter"):
        assert answers[name].status_code == 404, name
        assert "secret@example.org" not in answers[name].text
    assert answers["anonymous"].status_code == 302
    assert answers["anonymous"]["Location"].startswith(reverse("login"))


def test_the_office_menu_links_it(personas: dict[str, Client]) -> None:
    assert f'href="{URL}"' in personas["office"].get(reverse("home")).text
    assert f'href="{URL}"' not in personas["student"].get(reverse("home")).text


def test_filter_by_state(personas: dict[str, Client]) -> None:
    message(OutboxState.SENT, recipients=["sent@example.org"])
    message(
        OutboxState.RETRYING,
        recipients=["later@example.org"],
        attempts=2,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    message(OutboxState.FAILED, recipients=["failed@example.org"], attempts=6)
    office = personas["office"]
    retrying = office.get(URL, {"state": "retrying"}).text
    assert "later@example.org" in retrying
    assert "Connection refused" in retrying
    assert "sent@example.org" not in retrying
    assert "failed@example.org" not in retrying
    failed = office.get(URL, {"state": "failed"}).text
    assert "failed@example.org" in failed
    assert "later@example.org" not in failed
    everything = office.get(URL, {"state": "nonsense"}).text  # an unknown state: all of them
    assert all(f"{n}@example.org" in everything for n in ("sent", "later", "failed"))


def test_fifty_a_page_newest_first_in_constant_queries(
    personas: dict[str, Client], django_assert_max_num_queries: Any
) -> None:
    for number in range(60):
        message(recipients=[f"person{number:02d}@example.org"])
    office = personas["office"]
    with django_assert_max_num_queries(8):
        first = office.get(URL).text
    assert first.count("@example.org</td>") == 50
    assert "person59@example.org" in first
    assert "person09@example.org" not in first
    second = office.get(URL, {"page": 2}).text
    assert second.count("@example.org</td>") == 10
    assert "person00@example.org" in second


def test_the_admin_shows_the_outbox_read_only(office: User) -> None:
    office.is_superuser = True  # the admin's own permissions; the page itself is read-only
    office.save()
    sent = message()
    client = Client()
    client.force_login(office)
    listing = client.get(reverse("admin:core_outboxmessage_changelist"))
    assert listing.status_code == 200
    assert "Your application was received" in listing.text
    assert client.get(reverse("admin:core_outboxmessage_add")).status_code == 403
    detail = client.get(reverse("admin:core_outboxmessage_change", args=[sent.pk])).text
    assert 'name="_save"' not in detail
    assert (
        client.post(reverse("admin:core_outboxmessage_delete", args=[sent.pk])).status_code == 403
    )
    assert OutboxMessage.objects.filter(pk=sent.pk).exists()


def test_old_sent_and_failed_messages_are_deleted(settings: Any) -> None:
    from django.utils import timezone

    from abroad.core import scheduled

    settings.OUTBOX_KEEP_DAYS = 180
    settings.MAIL_STRANDED_MINUTES = 10**7  # the retrying one is not handed on meanwhile
    old_sent = message(OutboxState.SENT)
    old_failed = message(OutboxState.FAILED)
    old_retrying = message(OutboxState.RETRYING)
    recent = message(OutboxState.SENT)
    long_ago = timezone.now() - timedelta(days=181)
    OutboxMessage.objects.filter(pk__in=[old_sent.pk, old_failed.pk, old_retrying.pk]).update(
        updated_at=long_ago
    )
    run = scheduled.run(now=timezone.now())
    assert run.report["core.outbox_prune"] == 2
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {
        old_retrying.pk,
        recent.pk,
    }
    settings.OUTBOX_KEEP_DAYS = 0
    OutboxMessage.objects.update(updated_at=long_ago, state=OutboxState.SENT)
    assert scheduled.run(now=timezone.now()).report["core.outbox_prune"] == 0
