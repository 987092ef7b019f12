"""The password-reset e-mail through the outbox (:mod:`abroad.core.mail`): queued when the
request's transaction commits, sent by the background worker in the reader's language (theirs,
else the language of the page they asked from), with a text and an HTML part.

The outbox keeps only a reference to the account: the link's token is made when the worker
renders the message (``{% password_reset_path user %}``, :func:`reset_path`), so no usable
link is ever stored in the database or shown on the office's outbox page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import get_language

from abroad.core import mail
from abroad.people.models import User

TEMPLATE = "registration/email/password_reset"


@dataclass(frozen=True)
class Reader:
    """A recipient (:class:`abroad.core.mail.Recipient`): an address and its language."""

    email: str
    language: str


def reset_path(user: User) -> str:
    """The path of a fresh one-time link that lets ``user`` choose a new password."""
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's form (which finds the accounts with a usable password and this address), its
    e-mail handed to the outbox instead of sent during the request."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user: User = context["user"]
        mail.send(TEMPLATE, {"user": user}, Reader(to_email, user.language or get_language()))
