"""The append-only audit log that every state change writes to."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly(_("The audit log is append-only: events cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly(_("The audit log is append-only: events cannot be deleted."))


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    """One thing that happened: who did what to which object, with the details.

    Written only through :func:`abroad.core.audit.record`; never updated or deleted: the
    model and its queryset refuse both, and so does the database (a trigger on PostgreSQL
    refuses DELETE and any UPDATE but the redaction of the names beside an event after a
    person's erasure, :func:`abroad.core.audit.redact_names`; one on SQLite refuses the same
    UPDATEs).
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # Deleting a user must not rewrite its events (SET_NULL would be an UPDATE): the id stays,
    # with no database constraint, and the name is kept beside it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, db_index=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("object_type", "object_id"))]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogIsAppendOnly(_("The audit log is append-only: events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly(_("The audit log is append-only: events cannot be deleted."))


class OutboxState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    RETRYING = "retrying", _("retrying")
    FAILED = "failed", _("failed")


class OutboxMessage(models.Model):
    """One e-mail: written when it is asked for (in the transaction of the change it tells
    about), sent by the background worker (:mod:`abroad.core.mail`), which keeps its state,
    attempts and last error here for the office to read (/office/outbox/)."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    template = models.CharField(_("template"), max_length=200)
    language = models.CharField(_("language"), max_length=10)
    # The template's context, models written as references (mail.to_payload) and read again
    # when the message is rendered.
    context = models.JSONField(_("context"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # What a message that goes once is about ("selection.closing/application/12"): a second
    # message with the same key is never written (reminders).
    key = models.CharField(_("key"), max_length=200, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("state", "created_at"), name="core_outbox_state_idx")]

    def __str__(self) -> str:
        return self.subject or self.template


class OutboxRecipient(models.Model):
    """An account among a message's recipients, with the address it was written to: a
    person's e-mails are found by their account even after they changed their address (the
    privacy export, the erasure). A plain address has none."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="accounts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(_("address"), max_length=254)

    class Meta:
        verbose_name = _("recipient account")
        verbose_name_plural = _("recipient accounts")
        constraints = [
            models.UniqueConstraint(fields=("message", "user"), name="core_outbox_recipient_once")
        ]

    def __str__(self) -> str:
        return self.address


class SchedulerRun(models.Model):
    """One run of ``python -m abroad run-scheduled``: /health reads the last one."""

    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict)

    class Meta:
        verbose_name = _("scheduler run")
        verbose_name_plural = _("scheduler runs")
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return str(self.started_at)


class JobStorage(FileSystemStorage):
    """Where jobs keep their uploads and results: ``JOBS_ROOT``, read when used (a test
    moves it), outside ``MEDIA_ROOT`` and with no URL: a file is given only through the job's
    own page, to whoever may see the job."""

    @property
    def base_location(self) -> str:
        return str(settings.JOBS_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("A job's files have no URL: the job's page gives them.")


JOB_STORAGE = JobStorage()


def job_storage() -> JobStorage:
    return JOB_STORAGE


def job_upload_to(job: Job, filename: str) -> str:
    return f"{job.pk}/{os.path.basename(filename)}"


class JobState(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class Job(models.Model):
    """A long import or export, run by the background worker (:mod:`abroad.core.jobs`): what
    was asked and by whom, the uploaded file or the file made, the report, the state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=80)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The School the job is about (a catalogue.School's key; core sits below the catalogue):
    # that School's office sees the job too. None: the whole university's.
    school_id = models.PositiveIntegerField(_("School"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    upload = models.FileField(
        _("uploaded file"), storage=job_storage, upload_to=job_upload_to, blank=True, max_length=300
    )
    upload_name = models.CharField(_("uploaded file's name"), max_length=255, blank=True)
    result = models.FileField(
        _("result"), storage=job_storage, upload_to=job_upload_to, blank=True, max_length=300
    )
    result_name = models.CharField(_("result's name"), max_length=255, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("state", "finished_at"), name="core_job_state_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)
