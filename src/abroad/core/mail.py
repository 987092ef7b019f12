"""E-mails from templates: ``send("selection/email/submitted", context, to)`` renders
``<template>_subject.txt`` and ``<template>.txt`` in the site's language, with ``site_url`` in
the context for absolute links, and sends one message to the given addresses (blanks and
duplicates dropped; nothing is sent to nobody)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def send(template: str, context: dict[str, Any], to: str | Iterable[str]) -> None:
    addresses = sorted({a for a in ([to] if isinstance(to, str) else to) if a})
    if not addresses:
        return
    context = {**context, "site_url": settings.SITE_URL}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)
