"""What EWP needs beyond the catalogue and the mobility: the identifiers our documents carry
(ours, stable; the partner's, learnt from their copy), and every document received, with what
became of it; each file received is kept once, as it came (:class:`ReceivedFile`)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.models import Agreement
from abroad.mobility.models import Mobility


class IiaLink(models.Model):
    """An agreement as an EWP inter-institutional agreement: what we know of the partner's
    copy (its iia-id, code and hash, and the XML last accepted). Our iia-id is the
    agreement's own (:attr:`Agreement.iia_id`), given when it is created."""

    agreement = models.OneToOneField(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="ewp"
    )
    partner_iia_id = models.CharField(_("partner's IIA id"), max_length=64, blank=True)
    partner_iia_code = models.CharField(_("partner's IIA code"), max_length=100, blank=True)
    partner_hash = models.CharField(_("partner's iia-hash"), max_length=64, blank=True)
    partner_xml = models.TextField(_("partner's copy (XML)"), blank=True)
    partner_updated_at = models.DateTimeField(_("partner's copy accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("EWP agreement identity")
        verbose_name_plural = _("EWP agreement identities")

    def __str__(self) -> str:
        return f"{self.agreement.code}: {self.iia_id}"

    @property
    def iia_id(self) -> uuid.UUID:
        """Our iia-id: the agreement's."""
        return self.agreement.iia_id


class MobilityLink(models.Model):
    """A mobility as an EWP outgoing mobility: the omobility-id of its nomination and
    learning agreement."""

    mobility = models.OneToOneField(
        Mobility, verbose_name=_("mobility"), on_delete=models.CASCADE, related_name="ewp"
    )
    omobility_id = models.UUIDField(
        _("omobility id"), default=uuid.uuid4, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("EWP mobility identity")
        verbose_name_plural = _("EWP mobility identities")

    def __str__(self) -> str:
        return str(self.omobility_id)


class ReceivedFile(models.Model):
    """A file received from a partner, kept once and as it came (in UTF-8, see
    :func:`abroad.ewp.xml.stored`): each document read from it (an IIA among many, a
    transcript among many) is an :class:`Inbound` pointing at it. The same file received
    again is the same row."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True, editable=False)
    text = models.TextField(_("document"))
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("received EWP file")
        verbose_name_plural = _("received EWP files")

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} bytes)"


class Inbound(models.Model):
    """A document received from a partner (uploaded by the office or given to the command),
    kept whole: an IIA waits here for the office to compare and accept it; an LA update or a
    transcript of records is applied at once, and the outcome is written down."""

    class Kind(models.TextChoices):
        IIA = "iia", _("Inter-institutional agreement (IIA v7)")
        LA_UPDATE = "la-update", _("Learning agreement update (OMobility LA v1)")
        TOR = "tor", _("Transcript of records (IMobility ToR v2)")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the office")
        APPLIED = "applied", _("Applied")
        REFUSED = "refused", _("Refused")
        DISCARDED = "discarded", _("Discarded")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    source = models.ForeignKey(
        ReceivedFile,
        verbose_name=_("file"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    position = models.PositiveIntegerField(
        _("position in the document"), default=0, help_text=_("Which IIA of the document.")
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    message = models.TextField(_("outcome"), blank=True)
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mobility = models.ForeignKey(
        Mobility,
        verbose_name=_("mobility"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("received EWP document")
        verbose_name_plural = _("received EWP documents")
        ordering = ("-received_at", "-pk")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name or self.pk}"

    @property
    def xml(self) -> str:
        """The whole file this document came in (shared with the others read from it)."""
        return self.source.text


class RegistryCatalogue(models.Model):
    """The EWP registry's catalogue as last read from ``ABROAD_EWP_REGISTRY_URL``: every node
    reads the same copy; it is asked again (with its ETag) when older than
    ``ABROAD_EWP_REGISTRY_REFRESH_SECONDS``."""

    url = models.CharField(max_length=500, unique=True)
    etag = models.CharField(max_length=200, blank=True)
    xml = models.TextField()
    sha256 = models.CharField(max_length=64)
    fetched_at = models.DateTimeField()  # when this copy came
    checked_at = models.DateTimeField()  # when the registry was last asked

    class Meta:
        verbose_name = _("EWP registry catalogue")
        verbose_name_plural = _("EWP registry catalogues")

    def __str__(self) -> str:
        return self.url


class SeenRequest(models.Model):
    """The X-Request-Id of a signed request we accepted, kept for the allowed clock skew so
    that the same request sent again is refused (ewp-specs-sec-cliauth-httpsig, nonce)."""

    request_id = models.CharField(max_length=36, unique=True)
    key_id = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("EWP request seen")
        verbose_name_plural = _("EWP requests seen")

    def __str__(self) -> str:
        return self.request_id


class PendingCnr(models.Model):
    """A change notification a partner sent us, answered at once, then processed off the
    request (``ewp process-cnrs``): for an IIA CNR v3 their agreement is fetched with their
    IIAs get, for a ToR CNR v2 the transcript of one of our students with their IMobility ToRs
    get, and put in the inbox as an upload. A partner that cannot be reached leaves it
    waiting, with the error, and it is tried again later, each time after a longer pause."""

    class Kind(models.TextChoices):
        IIA = "iia", _("Agreement (IIA CNR)")
        TOR = "tor", _("Transcript of records (ToR CNR)")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be fetched")
        DONE = "done", _("Fetched")
        FAILED = "failed", _("Given up")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.IIA)
    hei_id = models.CharField(_("partner's HEI id"), max_length=255)
    iia_id = models.CharField(_("partner's IIA id"), max_length=64, blank=True)
    omobility_id = models.CharField(_("our omobility id"), max_length=64, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try"), db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("received change notification")
        verbose_name_plural = _("received change notifications")
        ordering = ("-received_at", "-pk")

    def __str__(self) -> str:
        return f"{self.hei_id} {self.subject_id}"

    @property
    def subject_id(self) -> str:
        """The id the notification names: the partner's iia-id, or our omobility-id."""
        return self.omobility_id if self.kind == self.Kind.TOR else self.iia_id


class NomineeDetails(models.Model):
    """What OMobilities v3 requires of a nominee and abroad keeps nowhere else: the date of
    birth, the nationality (ISO 3166-1 alpha-2) and the gender (ISO/IEC 5218: 0 not known,
    1 male, 2 female, 9 not applicable). A student without them is left out of the
    nominations the node serves, and the reason is logged (docs/ewp.md)."""

    class Gender(models.IntegerChoices):
        NOT_KNOWN = 0, _("Not known")
        MALE = 1, _("Male")
        FEMALE = 2, _("Female")
        NOT_APPLICABLE = 9, _("Not applicable")

    student = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="nominee_details",
    )
    birth_date = models.DateField(_("date of birth"))
    nationality = models.CharField(_("nationality (ISO country code)"), max_length=2)
    gender = models.PositiveSmallIntegerField(_("gender"), choices=Gender.choices)
    # When they last changed: a nomination whose nominee changed is listed by OMobilities'
    # ``modified_since``.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("nominee's details for EWP")
        verbose_name_plural = _("nominees' details for EWP")

    def __str__(self) -> str:
        return str(self.student)


class SentCnr(models.Model):
    """A change notification we sent a partner, with what came of it: the request id, and
    the error when the partner could not be told. Of one of our agreements (IIA CNR v3, to
    the partner) or of a learning agreement of one of our outgoing students (OMobility LA
    CNR v1, to the receiving HEI): ``kind`` says which."""

    class Kind(models.TextChoices):
        IIA = "iia", _("Agreement (IIA CNR)")
        LA = "la", _("Learning agreement (LA CNR)")

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.IIA)
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mobility = models.ForeignKey(
        Mobility,
        verbose_name=_("mobility"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hei_id = models.CharField(_("partner's HEI id"), max_length=255)
    iia_id = models.CharField(_("our IIA id"), max_length=64, blank=True)
    omobility_id = models.CharField(_("our omobility id"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    status = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("sent change notification")
        verbose_name_plural = _("sent change notifications")
        ordering = ("-sent_at", "-pk")

    def __str__(self) -> str:
        return f"{self.hei_id} {self.subject_id} {self.state}"

    @property
    def subject_id(self) -> str:
        """Our id of what changed: the iia-id, or the omobility-id."""
        return self.omobility_id if self.kind == self.Kind.LA else self.iia_id


class PartnerApproval(models.Model):
    """What a partner's IIAs Approval API (v2) last said of our copy of an agreement: the
    ``iia-hash`` of our copy it approved (empty: it approves none), when we learnt it and
    the request that told us. Our copy is approved only while that hash is the hash of our
    copy now (:func:`abroad.ewp.network.approval.readiness`)."""

    agreement = models.OneToOneField(
        Agreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="ewp_approval",
    )
    hei_id = models.CharField(_("partner's HEI id"), max_length=255)
    iia_hash = models.CharField(_("approved iia-hash"), max_length=64, blank=True)
    approved_since = models.DateTimeField(_("approval first seen"), null=True, blank=True)
    checked_at = models.DateTimeField(_("asked"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("partner's approval of our IIA")
        verbose_name_plural = _("partners' approvals of our IIAs")

    def __str__(self) -> str:
        return f"{self.hei_id} {self.iia_hash or '-'}"


class ApprovalFetch(models.Model):
    """One call to a partner's IIAs Approval API (``ewp fetch-approvals``): how many of our
    iia-ids were asked, how many it approves, the request id, and the error when it failed;
    the office reads the last one on the agreement's EWP page."""

    class State(models.TextChoices):
        DONE = "done", _("Answered")
        FAILED = "failed", _("Call failed")

    hei_id = models.CharField(_("partner's HEI id"), max_length=255, db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    asked = models.PositiveIntegerField(_("IIA ids asked"), default=0)
    approved = models.PositiveIntegerField(_("approved"), default=0)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    at = models.DateTimeField(_("asked"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("call to a partner's IIAs Approval API")
        verbose_name_plural = _("calls to partners' IIAs Approval APIs")
        ordering = ("-at", "-pk")

    def __str__(self) -> str:
        return f"{self.hei_id} {self.state}"
