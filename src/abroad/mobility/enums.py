from django.db import models
from django.utils.translation import gettext_lazy as _


class MobilityKind(models.TextChoices):
    SEMESTER = "semester", _("One semester")
    YEAR = "year", _("Academic year")
    THESIS = "thesis", _("Thesis")
    DOUBLE_DEGREE = "double_degree", _("Double Degree")
    SHORT = "short", _("Short network programme")


class MobilityState(models.TextChoices):
    NOMINATED = "nominated", _("Nominated to the host")
    APPLIED = "applied", _("Applied to the host")
    ACCEPTED = "accepted", _("Accepted by the host")
    IN_MOBILITY = "in_mobility", _("In mobility")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    @classmethod
    def active_states(cls) -> list[str]:
        return [cls.NOMINATED, cls.APPLIED, cls.ACCEPTED, cls.IN_MOBILITY]
