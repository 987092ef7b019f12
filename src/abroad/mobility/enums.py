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


class DocumentKind(models.TextChoices):
    ACCEPTANCE_LETTER = "acceptance_letter", _("Host acceptance letter")
    ARRIVAL = "arrival", _("Arrival confirmation")
    DEPARTURE = "departure", _("Departure confirmation")
    SIGNED_LA = "signed_la", _("Learning agreement signed by the host")
    EXTENSION_FORM = "extension_form", _("Extension form signed by the host")
    CERTIFICATE = "certificate", _("Certificate")
    OTHER = "other", _("Other document")


class Stage(models.TextChoices):
    """When a learning agreement version was made: the first version before the mobility,
    or a change during it (EWP: first-version, changes-proposal)."""

    BEFORE = "before", _("Before the mobility")
    DURING = "during", _("Change during the mobility")


class LearningAgreementState(models.TextChoices):
    """A learning agreement version. Drafts are edited; from submission on it is frozen, and a
    fix or a change is a new version."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Signed by the student, waiting for the promoter")
    RETURNED = "returned", _("Returned with comments")
    APPROVED = "approved", _("Approved by the promoter, waiting for the host")
    SIGNED = "signed", _("Signed by all three")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    @classmethod
    def pending_states(cls) -> list[str]:
        """Waiting for somebody other than the student."""
        return [cls.SUBMITTED, cls.APPROVED]

    @classmethod
    def frozen_states(cls) -> list[str]:
        return [cls.SUBMITTED, cls.RETURNED, cls.APPROVED, cls.SIGNED, cls.WITHDRAWN]


class Table(models.TextChoices):
    """The tables of the Erasmus+ learning agreement."""

    A = "A", _("Table A: study programme at the host")
    B = "B", _("Table B: recognition at home")
    C = "C", _("Table C: virtual components")


class ComponentStatus(models.TextChoices):
    """How a component of a change version differs from the version it changes (EWP)."""

    UNCHANGED = "", _("Unchanged")
    INSERTED = "inserted", _("Added")
    DELETED = "deleted", _("Deleted")


class ReasonCode(models.TextChoices):
    """Why a component changes during the mobility: the EWP OMobility LA reason codes."""

    NOT_AVAILABLE = "not-available", _("Component not available at the host")
    LANGUAGE_MISMATCH = "language-mismatch", _("Language of instruction different from planned")
    TIMETABLE_CONFLICT = "timetable-conflict", _("Timetable conflict")
    SUBSTITUTING_DELETED = "substituting-deleted", _("Substitutes a deleted component")
    EXTENDING_MOBILITY = "extending-mobility", _("Extends the mobility")
    ADDING_VIRTUAL = "adding-virtual-component", _("Adds a virtual component")
    OTHER = "other", _("Other reason (explained)")


class ExtensionState(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the promoter")
    APPROVED = "approved", _("Authorised")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
