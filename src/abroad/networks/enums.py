"""The states of ATHENS sessions, applications and allocations, and of double-degree plans."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Season(models.TextChoices):
    """ATHENS holds one-week sessions twice a year."""

    MARCH = "march", _("March")
    NOVEMBER = "november", _("November")


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ResultsState(models.TextChoices):
    """Where a session's allocation stands: not yet run, run by the office only (a dry run it
    may repeat), published to the students, closed after the acceptance deadline."""

    NOT_RUN = "not_run", _("Not yet allocated")
    DRY_RUN = "dry_run", _("Allocated, not visible to students")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class AllocationState(models.TextChoices):
    OFFERED = "offered", _("Offered, waiting for the student")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired (no answer by the deadline)")
    NONE = "none", _("No course")


class PlanState(models.TextChoices):
    """A double-degree study plan: the student (or the office) edits a draft and submits it;
    the promoter approves it or returns it with a comment, and a returned plan is edited and
    submitted again."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, waiting for the promoter")
    APPROVED = "approved", _("Approved by the promoter")
    RETURNED = "returned", _("Returned with comments")

    @classmethod
    def editable_states(cls) -> list[str]:
        return [cls.DRAFT, cls.RETURNED]
