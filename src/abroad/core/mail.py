"""E-mails from templates, sent in the background.

``send("selection/email/submitted", context, to)`` is called where something happened. It
writes one :class:`~abroad.core.models.OutboxMessage` per language among the recipients (in
the transaction of the change, so a rolled-back change leaves none) and, once that
transaction commits, enqueues :func:`abroad.core.tasks.deliver` for each: the background
worker (``python -m abroad db_worker``) renders ``<template>_subject.txt``, ``<template>.txt``
and, when it exists, ``<template>.html`` in that language, with ``site_url`` and
``site_name`` in the context, and sends one message with both parts to the group.

Recipients are plain addresses (the site's language) or anything with ``email`` and
``language`` (a :class:`Recipient`, the people's ``User``; a blank language is the site's).
Blanks and duplicates are dropped; nothing is sent to nobody. The context's models travel as
references (app label, model, primary key) and are read again when the message is rendered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.template import Context, TemplateDoesNotExist, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from abroad.core.models import OutboxMessage, OutboxRecipient, OutboxState


@runtime_checkable
class Recipient(Protocol):
    """Somebody who receives e-mails, in their language (blank: the site's)."""

    @property
    def email(self) -> str: ...

    @property
    def language(self) -> str: ...


Recipients = str | Recipient | Iterable[str | Recipient]


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def language_of(recipient: str | Recipient) -> str:
    """The language a recipient reads: theirs when the site offers it, else the site's."""
    if isinstance(recipient, str):
        return settings.LANGUAGE_CODE
    language = recipient.language or ""
    return language if language in _languages() else settings.LANGUAGE_CODE


def by_language(to: Recipients) -> dict[str, list[str]]:
    """The addresses to write to, grouped by the language each reads (sorted, no blanks, no
    duplicates; an address named twice goes with its first language)."""
    listed: Iterable[str | Recipient] = [to] if isinstance(to, str | Recipient) else to
    groups: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    for recipient in listed:
        address = recipient if isinstance(recipient, str) else recipient.email
        if not address or address in seen:
            continue
        seen.add(address)
        groups[language_of(recipient)].add(address)
    return {language: sorted(addresses) for language, addresses in sorted(groups.items())}


def to_payload(value: Any) -> Any:
    """``value`` as JSON: models as references, dictionaries and sequences item by item."""
    if isinstance(value, models.Model):
        return {"__model__": value._meta.label_lower, "pk": value.pk}
    if isinstance(value, dict):
        return {str(key): to_payload(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | models.QuerySet):
        return [to_payload(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def from_payload(value: Any) -> Any:
    """The context again: each model reference read from the database (a missing object
    raises its ``DoesNotExist``)."""
    if isinstance(value, dict):
        if set(value) == {"__model__", "pk"}:
            model = apps.get_model(value["__model__"])
            return model._default_manager.get(pk=value["pk"])
        return {key: from_payload(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_payload(item) for item in value]
    return value


def send(
    template: str, context: dict[str, Any], to: Recipients, *, key: str | None = None
) -> list[OutboxMessage]:
    """Queue the e-mail ``template`` to ``to``: one outbox message per language, enqueued for
    the worker when the current transaction commits (at once outside a transaction).

    With a ``key``, the e-mail goes once: nothing is queued when a message with that key was
    written before (the key of each message is ``key``, or ``key/<language>`` when the
    recipients read several languages)."""
    if key is not None and was_sent(key):
        return []
    messages = _write(template, context, to, key=key)
    ids = [message.pk for message in messages]
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
    return messages


Email = tuple[str, dict[str, Any], Recipients]


def send_many(emails: Iterable[Email]) -> list[OutboxMessage]:
    """Queue many e-mails (``(template, context, to)`` each: a round's results to every
    applicant) in one transaction, and hand them to the worker in one more when it commits:
    two commits in all, not two per e-mail (on SQLite each commit is a write to the disk)."""
    with transaction.atomic():
        links: list[OutboxRecipient] = []
        messages = [
            message
            for template, context, to in emails
            for message in _write(template, context, to, links=links)
        ]
        _link(links)
        ids = [message.pk for message in messages]
        if ids:
            transaction.on_commit(lambda: enqueue(ids))
    return messages


def _write(
    template: str,
    context: dict[str, Any],
    to: Recipients,
    *,
    key: str | None = None,
    links: list[OutboxRecipient] | None = None,
) -> list[OutboxMessage]:
    """The messages, one per language; each linked to the accounts among its recipients (at
    once, or added to ``links`` for the caller to write in one go)."""
    groups = by_language(to)
    if not groups or switched_off():
        return []
    payload = to_payload(context)
    accounts = _accounts(to)
    messages = []
    found: list[OutboxRecipient] = []
    for language, addresses in groups.items():
        message = OutboxMessage.objects.create(
            recipients=addresses,
            template=template,
            language=language,
            context=payload,
            key=None if key is None else key if len(groups) == 1 else f"{key}/{language}",
        )
        messages.append(message)
        found += [
            OutboxRecipient(message=message, user_id=accounts[address], address=address)
            for address in addresses
            if address in accounts
        ]
    if links is None:
        _link(found)
    else:
        links += found
    return messages


def _accounts(to: Recipients) -> dict[str, Any]:
    """The recipients that are accounts (users): their address and key."""
    listed: Iterable[str | Recipient] = [to] if isinstance(to, str | Recipient) else to
    user_model = get_user_model()
    return {
        recipient.email: recipient.pk
        for recipient in listed
        if isinstance(recipient, user_model) and recipient.email and recipient.pk is not None
    }


def _link(links: list[OutboxRecipient]) -> None:
    if links:
        OutboxRecipient.objects.bulk_create(links, ignore_conflicts=True)


def send_once(key: str, template: str, context: dict[str, Any], to: Recipients) -> int:
    """Queue the e-mail unless one with ``key`` was queued before (by this run or a concurrent
    one: the key is unique): 1 when it was queued, else 0. For the reminders and digests of
    ``run-scheduled``."""
    try:
        with transaction.atomic():
            return 1 if send(template, context, to, key=key) else 0
    except IntegrityError:  # another run wrote it meanwhile
        return 0


DUMMY_BACKEND = "django.core.mail.backends.dummy.EmailBackend"


def switched_off() -> bool:
    """E-mails are switched off with Django's dummy backend (the demo loaders do so while they
    load): nothing is queued then, so nothing is sent later either."""
    return bool(settings.EMAIL_BACKEND == DUMMY_BACKEND)


def was_sent(key: str) -> bool:
    """Whether an e-mail with this key was queued before (whatever became of it)."""
    return OutboxMessage.objects.filter(
        models.Q(key=key) | models.Q(key__startswith=f"{key}/")
    ).exists()


def enqueue(ids: list[int], delay: timedelta | None = None) -> None:
    """Hand the messages to the background worker (after ``delay``)."""
    from abroad.core.tasks import deliver

    task = deliver
    if delay is not None and deliver.get_backend().supports_defer:
        task = deliver.using(run_after=timezone.now() + delay)
    with transaction.atomic():  # one commit for a batch, not one per message
        for pk in ids:
            task.enqueue(pk)


def requeue_stranded(now: datetime) -> int:
    """Hand the worker again the messages still to send (queued or retrying) that no task
    waits for and that nothing touched for ``MAIL_STRANDED_MINUTES``: the process stopped
    between the commit and the enqueueing, or the task failed for a reason of its own.
    Returns how many. Run by ``run-scheduled``."""
    from abroad.core.tasks import deliver, waiting_for

    waiting = OutboxMessage.objects.filter(
        state__in=(OutboxState.QUEUED, OutboxState.RETRYING),
        updated_at__lt=now - timedelta(minutes=settings.MAIL_STRANDED_MINUTES),
    ).values_list("pk", flat=True)
    stranded = list(waiting)
    if not stranded:
        return 0
    pending = waiting_for(deliver)
    if pending is not None:
        stranded = [pk for pk in stranded if pk not in pending]
    enqueue(stranded)
    return len(stranded)


def prune(now: datetime) -> int:
    """Delete the messages sent or failed more than ``OUTBOX_KEEP_DAYS`` ago (they hold
    addresses: personal data); 0 keeps them. Returns how many. Run by ``run-scheduled``."""
    days = settings.OUTBOX_KEEP_DAYS
    if days <= 0:
        return 0
    deleted, _by_model = OutboxMessage.objects.filter(
        state__in=(OutboxState.SENT, OutboxState.FAILED),
        updated_at__lt=now - timedelta(days=days),
    ).delete()
    return deleted


# The e-mails a person may turn off (a digest; never a message about their own case), with the
# name of the page where they do: their messages carry a List-Unsubscribe header (RFC 2369)
# pointing there. The apps above register theirs in their AppConfig.ready.
OPTIONAL: dict[str, str] = {}


def optional(template: str, url_name: str) -> None:
    """Mark the e-mail ``template`` as one its readers may turn off at ``url_name``."""
    OPTIONAL[template] = url_name


def render(message: OutboxMessage) -> EmailMultiAlternatives:
    """The message, rendered in its language: subject, text and (when the template has one)
    HTML."""
    context = {
        **from_payload(message.context),
        "site_url": settings.SITE_URL,
        "site_name": settings.SITE_NAME,
    }
    with translation.override(message.language):
        subject = " ".join(render_text(f"{message.template}_subject.txt", context).split())
        body = render_text(f"{message.template}.txt", context)
        try:
            html = render_to_string(f"{message.template}.html", {**context, "subject": subject})
        except TemplateDoesNotExist:
            html = None
    email = EmailMultiAlternatives(
        subject, body, settings.DEFAULT_FROM_EMAIL, list(message.recipients)
    )
    if html is not None:
        email.attach_alternative(html, "text/html")
    if message.template in OPTIONAL:
        email.extra_headers["List-Unsubscribe"] = (
            f"<{settings.SITE_URL}{reverse(OPTIONAL[message.template])}>"
        )
    return email


def render_text(name: str, context: dict[str, Any]) -> str:
    """A plain-text template, rendered without HTML escaping (``O'Brien``, not
    ``O&#x27;Brien``)."""
    template = engines["django"].engine.get_template(name)  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=False)))


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: MAIL_RETRY_SECONDS, then
    twice that, and so on."""
    return timedelta(seconds=settings.MAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def deliver_message(pk: int) -> str:
    """Render and send one outbox message, keeping its state; a failure of the mail server is
    tried again later (:func:`retry_delay`) until MAIL_MAX_ATTEMPTS. Returns the new state."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=pk).first()
        if message is None or message.state in (OutboxState.SENT, OutboxState.FAILED):
            return message.state if message is not None else "missing"
        message.attempts += 1
        message.save(update_fields=["attempts", "updated_at"])
    try:
        email = render(message)
    except Exception as error:  # a template or an object gone: trying again will not help
        _record(message, OutboxState.FAILED, error)
        return OutboxState.FAILED
    message.subject = email.subject[:300]
    try:
        email.send()
    except Exception as error:  # the mail server: refused, unreachable, timed out
        can_retry = message.attempts < settings.MAIL_MAX_ATTEMPTS and _deliver_backend_defers()
        if not can_retry:
            _record(message, OutboxState.FAILED, error)
            return OutboxState.FAILED
        delay = retry_delay(message.attempts)
        message.next_attempt_at = timezone.now() + delay
        _record(message, OutboxState.RETRYING, error)
        enqueue([message.pk], delay)
        return OutboxState.RETRYING
    message.state = OutboxState.SENT
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    message.save(update_fields=["state", "sent_at", "subject", "next_attempt_at", "updated_at"])
    return OutboxState.SENT


def _deliver_backend_defers() -> bool:
    from abroad.core.tasks import deliver

    return bool(deliver.get_backend().supports_defer)


def _record(message: OutboxMessage, state: str, error: BaseException) -> None:
    message.state = state
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if state == OutboxState.FAILED:
        message.next_attempt_at = None
    message.save(update_fields=["state", "last_error", "subject", "next_attempt_at", "updated_at"])
