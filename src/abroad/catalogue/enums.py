from django.db import models
from django.utils.translation import gettext_lazy as _


class Programme(models.TextChoices):
    """Under which programme an agreement sends students."""

    ERASMUS = "erasmus", _("Erasmus+ (EU and associated countries)")
    BILATERAL = "bilateral", _("Bilateral agreement (non-EU)")
    DOUBLE_DEGREE = "double_degree", _("Double Degree")
    NETWORK = "network", _("Network programme")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")

    @classmethod
    def public_states(cls) -> list[str]:
        """States shown in the public catalogue."""
        return [cls.ACTIVE]


class MobilityType(models.TextChoices):
    """What the student does at the host (the EWP cooperation condition's type)."""

    STUDY = "study", _("Study (courses)")
    THESIS = "thesis", _("Thesis")
    STUDY_OR_THESIS = "study_thesis", _("Study and/or thesis")


class ContactKind(models.TextChoices):
    OFFICE = "office", _("International Mobility Unit")
    SCHOOL = "school", _("School mobility contact")
    HELPDESK = "helpdesk", _("Help desk")
