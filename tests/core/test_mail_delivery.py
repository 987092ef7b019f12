"""E-mails for real: a student signs a learning agreement through the page, the e-mails wait
in the database queue, django-tasks' database worker (``db_worker``, run here in the test)
renders and sends them to an SMTP server started by the test (aiosmtpd on a free port), each
approver in their language, with a text and an HTML part. With the server down the signature
still succeeds and the message is tried again; a rolled-back change sends nothing."""

from __future__ import annotations

import datetime as dt
import email
import signal
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from abroad.core import mail, scheduled
from abroad.core.models import OutboxMessage, OutboxState
from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from abroad.people.models import User
from tests.factories import CourseOfStudyFactory, PromoterFactory, UserFactory
from tests.mobility.factories import MobilityFactory, agreement_with_rows, coordinate

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class Inbox:
    """What the SMTP server received: one message per delivery, with its envelope."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.original_content))
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on a free port of this machine, started and stopped by the test."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """The SMTP server (not yet started) and the settings of a real installation: the database
    queue, the SMTP backend pointed at the server, retries due at once."""
    server = SmtpServer()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    settings.MAIL_RETRY_SECONDS = 0
    settings.SITE_URL = "https://abroad.example.org"
    yield server
    server.stop()


def run_worker(max_tasks: int | None = None) -> None:
    """django-tasks' database worker, run until the queue has nothing due (or ``max_tasks``
    ran); the signal handlers it installs are given back afterwards."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    options = ["--batch", "--no-startup-delay", "--interval", "0", "--no-reload"]
    if max_tasks is not None:
        options += ["--max-tasks", str(max_tasks)]
    try:
        call_command("db_worker", *options, verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


@pytest.fixture
def mobility() -> Mobility:
    """Anna Rossi's mobility; Prof. Bianchi reads English, Prof. Verdi Italian, and both
    coordinate her course (they approve her learning agreement)."""
    found: Mobility = MobilityFactory.create(
        student=UserFactory.create(
            username="anna",
            first_name="Anna",
            last_name="Rossi",
            email="anna@example.org",
            course_of_study=CourseOfStudyFactory.create(),
        ),
        offer__agreement__partner__name="Partner University Delft",
    )
    for username, language in (("bianchi", "en"), ("verdi", "it")):
        promoter = PromoterFactory.create(
            user__username=username, user__email=f"{username}@example.org"
        ).user
        promoter.language = language
        promoter.save()
        coordinate(found, promoter)
    return found


def sign(mobility: Mobility) -> Any:
    """The student signs the draft through the page."""
    agreement_with_rows(mobility)
    client = Client()
    client.force_login(mobility.student)
    response = client.post(reverse("mobility:la_submit", kwargs={"pk": mobility.pk}))
    assert response.status_code == 302
    agreement = mobility.learning_agreements.get()
    assert agreement.state == LearningAgreementState.SUBMITTED
    return response


def parts(message: Message) -> dict[str, str]:
    """The message's parts by content type, decoded."""
    found = {}
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


def test_each_approver_gets_the_message_in_their_language_with_text_and_html(
    smtp: SmtpServer, mobility: Mobility
) -> None:
    smtp.start()
    sign(mobility)
    # queued, one message per language, and nothing sent before the worker runs
    queued = OutboxMessage.objects.order_by("language")
    assert [(m.language, m.recipients, m.state) for m in queued] == [
        ("en", ["bianchi@example.org"], OutboxState.QUEUED),
        ("it", ["verdi@example.org"], OutboxState.QUEUED),
    ]
    assert smtp.inbox.received == []
    assert DBTaskResult.objects.ready().count() == 2

    run_worker()

    by_recipient = {tuple(to): message for to, message in smtp.inbox.received}
    assert set(by_recipient) == {("bianchi@example.org",), ("verdi@example.org",)}
    english, italian = by_recipient[("bianchi@example.org",)], by_recipient[("verdi@example.org",)]
    assert english["Subject"] == "Learning agreement v1 of Anna Rossi to approve"
    assert italian["Subject"] == "Learning Agreement v1 di Anna Rossi da approvare"
    for message in (english, italian):
        assert message.get_content_type() == "multipart/alternative"
        assert set(parts(message)) == {"text/plain", "text/html"}
    desk = "https://abroad.example.org" + reverse("mobility:desk")
    english_parts, italian_parts = parts(english), parts(italian)
    assert (
        "signed version 1 of the learning agreement for Partner University Delft"
        in (english_parts["text/plain"])
    )
    assert f'href="{desk}"' in english_parts["text/html"]
    assert ">Open your desk</a>" in english_parts["text/html"]
    assert "ha firmato la versione 1" in italian_parts["text/plain"]
    assert '<html lang="it">' in italian_parts["text/html"]
    assert ">Apri la tua scrivania</a>" in italian_parts["text/html"]
    assert f'href="{desk}"' in italian_parts["text/html"]
    assert [(m.state, m.attempts) for m in OutboxMessage.objects.all()] == [
        (OutboxState.SENT, 1),
        (OutboxState.SENT, 1),
    ]
    assert DBTaskResult.objects.ready().count() == 0


def test_with_the_server_down_the_signature_succeeds_and_the_message_is_sent_later(
    smtp: SmtpServer, mobility: Mobility
) -> None:
    mobility.student.language = "it"
    mobility.student.save()
    (approver,) = [u for u in User.objects.filter(role=Role.PROMOTER) if u.language == "en"]
    User.objects.filter(role=Role.PROMOTER).exclude(pk=approver.pk).update(email="")
    sign(mobility)  # no server: the page answers as usual
    (message,) = OutboxMessage.objects.all()
    assert message.state == OutboxState.QUEUED

    run_worker(max_tasks=1)  # the server is down

    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.RETRYING, 1)
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at is not None
    assert DBTaskResult.objects.ready().count() == 1  # the next try waits in the queue
    office = UserFactory.create(username="office", role=Role.OFFICE)
    client = Client()
    client.force_login(office)
    page = client.get(reverse("outbox"), {"state": "retrying"}).text
    assert "bianchi@example.org" in page
    assert "ConnectionRefusedError" in page

    smtp.start()
    run_worker()

    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.SENT, 2)
    assert message.sent_at is not None
    ((to, received),) = smtp.inbox.received
    assert to == ["bianchi@example.org"]
    assert received["Subject"] == "Learning agreement v1 of Anna Rossi to approve"


def test_a_message_the_server_keeps_refusing_fails_after_the_last_attempt(
    smtp: SmtpServer, mobility: Mobility, settings: Any
) -> None:
    settings.MAIL_MAX_ATTEMPTS = 3
    sign(mobility)

    run_worker()  # every try is due at once (MAIL_RETRY_SECONDS = 0)

    states = {(m.state, m.attempts) for m in OutboxMessage.objects.all()}
    assert states == {(OutboxState.FAILED, 3)}
    assert DBTaskResult.objects.ready().count() == 0
    office = UserFactory.create(username="office", role=Role.OFFICE)
    client = Client()
    client.force_login(office)
    page = client.get(reverse("outbox"), {"state": "failed"}).text
    assert "verdi@example.org" in page
    assert client.get(reverse("outbox"), {"state": "sent"}).text.count("@example.org") == 0


def test_a_rolled_back_change_sends_nothing(smtp: SmtpServer, mobility: Mobility) -> None:
    smtp.start()

    class Refused(Exception):
        pass

    def change_then_refuse() -> None:
        with transaction.atomic():
            mail.send("mobility/email/la_decided", {"mobility": mobility}, mobility.student)
            assert OutboxMessage.objects.count() == 1
            raise Refused

    with pytest.raises(Refused):
        change_then_refuse()

    run_worker()
    assert OutboxMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert smtp.inbox.received == []


def test_a_committed_change_is_queued_and_sent(smtp: SmtpServer, mobility: Mobility) -> None:
    smtp.start()
    agreement = agreement_with_rows(mobility, state=LearningAgreementState.RETURNED)
    agreement.comment = "Add the thesis course."
    agreement.save()
    with transaction.atomic():
        mail.send(
            "mobility/email/la_decided",
            {"agreement": agreement, "mobility": mobility},
            mobility.student,
        )
        assert DBTaskResult.objects.count() == 0  # enqueued when the change commits

    assert DBTaskResult.objects.count() == 1
    run_worker()
    ((to, received),) = smtp.inbox.received
    assert to == ["anna@example.org"]
    assert "Add the thesis course." in parts(received)["text/plain"]
    assert "Add the thesis course." in parts(received)["text/html"]


def test_a_message_whose_task_was_lost_is_handed_to_the_worker_again(
    smtp: SmtpServer, mobility: Mobility, settings: Any
) -> None:
    """The process stopped between the commit and the enqueueing: run-scheduled finds the
    message that no task waits for, once it has waited MAIL_STRANDED_MINUTES."""
    settings.MAIL_STRANDED_MINUTES = 30
    smtp.start()
    sign(mobility)
    lost, _kept = OutboxMessage.objects.order_by("language")
    DBTaskResult.objects.filter(args_kwargs__args=[lost.pk]).delete()
    assert DBTaskResult.objects.count() == 1

    soon = timezone.now() + dt.timedelta(minutes=5)
    assert scheduled.run(now=soon).report["core.outbox"] == 0  # not yet
    later = timezone.now() + dt.timedelta(minutes=31)
    assert scheduled.run(now=later).report["core.outbox"] == 1  # the lost one, not the kept
    assert DBTaskResult.objects.count() == 2

    run_worker()
    assert sorted(to for to, _message in smtp.inbox.received) == [
        ["bianchi@example.org"],
        ["verdi@example.org"],
    ]
    assert {m.state for m in OutboxMessage.objects.all()} == {OutboxState.SENT}
    assert scheduled.run(now=later).report["core.outbox"] == 0
