from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person does in abroad. Permissions are predicates over it (see rules.py)."""

    STUDENT = "student", _("Student")
    PROMOTER = "promoter", _("Promoter (professor)")
    OFFICE = "office", _("Mobility office")
    ADMIN = "admin", _("Administrator")


class Digest(models.TextChoices):
    """How often a promoter hears of what waits on their desk."""

    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every Monday")
    NEVER = "never", _("Never")
