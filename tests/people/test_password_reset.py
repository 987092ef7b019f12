"""Password reset by e-mail for local accounts: the link goes to the account's address only,
works once, sets a password the validators accept; nothing tells a stranger whether an address
has an account; an account without a password (single sign-on) gets no e-mail. The e-mail goes
through the outbox once the request's transaction commits (tests/people/
test_password_reset_outbox.py sends it with the real worker and SMTP server)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from abroad.people.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _link(message: Any, site_url: str) -> str:
    found = re.search(re.escape(site_url) + r"(/accounts/reset/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_a_student_resets_her_password_by_e_mail(
    student: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = "https://mobility.example.edu"
    client = Client()
    login_page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in login_page
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("password_reset"), {"email": student.email}, follow=True)
    assert "Check your e-mail" in answer.content.decode()
    [message] = mail.outbox
    assert message.to == [student.email]
    assert settings.SITE_NAME in message.subject
    link = _link(message, settings.SITE_URL)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200  # refused by the validators, said on the page
    assert "password" in weak.content.decode().lower()
    assert not User.objects.get(pk=student.pk).check_password("12345678")
    new = "a-fresh-and-long-passphrase"
    done = client.post(set_url, {"new_password1": new, "new_password2": new}, follow=True)
    assert "Your new password is saved" in done.content.decode()
    assert Client().login(username=student.username, password=new)
    again = Client().get(link, follow=True).content.decode()
    assert "This link does not work any more" in again


def test_nothing_tells_whether_an_address_has_an_account(
    student: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    for email in ("nobody@example.org", student.email.upper()):
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(reverse("password_reset"), {"email": email}, follow=True)
        assert "If an account with a password has this address" in answer.content.decode()
    assert [m.to for m in mail.outbox] == [[student.email]]  # the address in any case


def test_an_account_without_password_gets_no_e_mail(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Single sign-on accounts have no password here: their university resets theirs."""
    federated = UserFactory.create(username="sso@polimi.it", email="sso@polimi.it")
    federated.set_unusable_password()
    federated.save()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("password_reset"), {"email": "sso@polimi.it"})
    assert mail.outbox == []


def test_the_e_mail_speaks_the_readers_language(
    student: User, django_capture_on_commit_callbacks: Any
) -> None:
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        Client().post(
            reverse("password_reset"), {"email": student.email}, HTTP_ACCEPT_LANGUAGE="it"
        )
    [message] = mail.outbox
    assert "Il link funziona una sola volta" in message.body
    assert "nuova password" in message.subject
