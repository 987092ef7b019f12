from django.db import models
from django.utils.translation import gettext_lazy as _


class RankingFormula(models.TextChoices):
    """How a call turns careers into a merit order (see selection/ranking.py)."""

    ENGINEERING = (
        "engineering",
        _("Engineering merit formula (average, credits per year, exchanges)"),
    )
    COMMISSION = (
        "commission",
        _("Commission score (portfolio, languages/motivation/CV, interview, average)"),
    )


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    @classmethod
    def open_states(cls) -> list[str]:
        """An application the student can still change (before the deadline)."""
        return [cls.DRAFT, cls.SUBMITTED]


class RoundState(models.TextChoices):
    DRAFT = "draft", _("Not yet run")
    DRY_RUN = "dry_run", _("Dry run (not visible to students)")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class AssignmentState(models.TextChoices):
    OFFERED = "offered", _("Offered, waiting for the student")
    ACCEPTED = "accepted", _("Accepted")
    RENOUNCED = "renounced", _("Renounced")
    EXPIRED = "expired", _("Expired (no answer by the deadline)")
    NONE = "none", _("No seat in this round")

    @classmethod
    def holding_states(cls) -> list[str]:
        """Assignments that hold a seat."""
        return [cls.OFFERED, cls.ACCEPTED]
