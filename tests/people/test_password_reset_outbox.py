"""The password-reset e-mail for real: the page queues it in the outbox (nothing is sent during
the request), django-tasks' database worker renders and sends it to an SMTP server started by
the test (aiosmtpd), in the reader's language, with a text and an HTML part whose link works
once. The outbox holds no usable link: the token is made when the worker renders the message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from abroad.core.models import OutboxMessage, OutboxState
from abroad.people.models import User
from tests.core.test_mail_delivery import SmtpServer, parts, run_worker
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SITE = "https://abroad.example.org"


@pytest.fixture
def server(settings: Any) -> Iterator[SmtpServer]:
    """The SMTP server, started, and the settings of a real installation: the database queue
    and the SMTP backend pointed at the server."""
    smtp = SmtpServer()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp.port
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = SITE
    smtp.start()
    yield smtp
    smtp.stop()


def ask(email: str, language: str) -> None:
    answer = Client().post(
        reverse("password_reset"), {"email": email}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert answer.status_code == 302


def test_the_reset_e_mail_goes_through_the_outbox_in_the_readers_language(
    server: SmtpServer,
) -> None:
    anna: User = UserFactory.create(
        username="anna", first_name="Anna", last_name="Rossi", email="anna@example.org"
    )
    anna.language = "it"  # her preference wins over the page she asks from
    anna.save()
    ask("anna@example.org", "en")

    (queued,) = OutboxMessage.objects.all()
    assert (queued.state, queued.language, queued.recipients) == (
        OutboxState.QUEUED,
        "it",
        ["anna@example.org"],
    )
    assert queued.template == "registration/email/password_reset"
    assert "token" not in json.dumps(queued.context)  # no usable link in the database
    assert server.inbox.received == []  # nothing sent during the request

    run_worker()

    ((to, message),) = server.inbox.received
    assert to == ["anna@example.org"]
    assert message.get_content_type() == "multipart/alternative"
    found = parts(message)
    assert set(found) == {"text/plain", "text/html"}
    assert "Il link funziona una sola volta" in found["text/plain"]
    assert '<html lang="it">' in found["text/html"]
    assert "<p>" in found["text/html"]
    assert "&lt;" not in found["text/html"]
    assert "Anna Rossi" in found["text/html"]
    link = re.search(re.escape(SITE) + r"(/accounts/reset/\S+/)", found["text/plain"])
    assert link is not None
    assert f'href="{SITE}{link.group(1)}"' in found["text/html"]
    assert OutboxMessage.objects.get().state == OutboxState.SENT

    client = Client()
    form = client.get(link.group(1), follow=True)
    set_url = form.redirect_chain[-1][0]
    new = "a-fresh-and-long-passphrase"
    client.post(set_url, {"new_password1": new, "new_password2": new})
    assert User.objects.get(pk=anna.pk).check_password(new)


def test_without_a_preference_the_e_mail_speaks_the_language_of_the_page(
    server: SmtpServer,
) -> None:
    UserFactory.create(username="marco", email="marco@example.org")
    ask("marco@example.org", "en")
    run_worker()
    ((to, message),) = server.inbox.received
    assert to == ["marco@example.org"]
    assert "The link works once" in parts(message)["text/plain"]
    assert OutboxMessage.objects.get().language == "en"
