"""The catalogue: institutions, Schools, courses of study, networks, promoters, agreements
and their offers (the seats a student can apply for)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from abroad.catalogue import erasmus_code
from abroad.catalogue.enums import AgreementStatus, ContactKind, MobilityType, Programme
from abroad.catalogue.names import cased
from abroad.core.academic_year import format_year
from abroad.core.enums import CEFR, EQF, ISCED_CHOICES, DegreeLevel, Language, isced_name


def localised(name: str, *, it: str = "") -> str:
    """A name in the active language: ``it`` for an Italian reader when given, else ``name``
    (the one rule for a name kept in English and in Italian, as the Schools' are)."""
    if it and (get_language() or "").startswith("it"):
        return it
    return name


def display_name(name: str, name_en: str = "") -> str:
    """An institution's shown name from its two names (see ``Institution.display_name``)."""
    return name_en or cased(name)


def display_name_key(prefix: str = "") -> Func:
    """What the shown name sorts by, as a database expression over the institution reached by
    ``prefix`` ("agreement__partner__"): the English name, else the official one, in lower
    case, so "Aalborg University" and "AARHUS UNIVERSITET" sort as read."""
    return Lower(Coalesce(NullIf(F(f"{prefix}name_en"), Value("")), F(f"{prefix}name")))


def validate_erasmus_code(value: str) -> None:
    try:
        erasmus_code.normalise(value)
    except erasmus_code.InvalidErasmusCode as error:
        raise ValidationError(str(error), code="invalid_erasmus_code") from None


schac_validator = RegexValidator(
    r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
    _("A SCHAC code is the institution's internet domain in lower case, like polimi.it."),
    code="invalid_schac",
)


class InstitutionQuerySet(models.QuerySet["Institution"]):
    def home(self) -> Institution:
        return self.get(is_home=True)

    def find_home(self) -> Institution | None:
        """The home institution if there is one: the one marked as home, else the one with
        the HOME_ERASMUS_CODE setting."""
        home = self.filter(is_home=True).first()
        if home is not None:
            return home
        try:
            code = erasmus_code.normalise(settings.HOME_ERASMUS_CODE)
        except erasmus_code.InvalidErasmusCode:
            return None
        return self.filter(erasmus_code=code).first()

    def partners(self) -> InstitutionQuerySet:
        return self.filter(is_home=False)


class Institution(models.Model):
    """A higher education institution: the home university or a partner."""

    name = models.CharField(_("name"), max_length=250, db_index=True)
    name_en = models.CharField(_("English name"), max_length=250, blank=True)
    country = CountryField(_("country"), db_index=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    erasmus_code = models.CharField(
        _("Erasmus code"),
        max_length=16,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_erasmus_code],
        help_text=_("As the Commission writes it, e.g. 'I  MILANO02'; one space is accepted."),
    )
    schac_code = models.CharField(
        _("SCHAC code"),
        max_length=120,
        null=True,
        blank=True,
        unique=True,
        validators=[schac_validator],
        help_text=_("The internet domain that identifies the institution in EWP, e.g. polimi.it."),
    )
    pic = models.CharField(_("PIC"), max_length=12, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    is_home = models.BooleanField(_("home institution"), default=False)
    source = models.CharField(
        _("source of the data"),
        max_length=300,
        blank=True,
        help_text=_("Where the name, codes and place come from."),
    )
    eche_withdrawn_on = models.DateField(
        _("left the ECHE list on"),
        null=True,
        blank=True,
        help_text=_(
            "Set by the import of the Commission's list when an institution that came from "
            "the list is missing from a new edition; cleared when it reappears."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = (display_name_key(), "name")
        constraints = [
            models.UniqueConstraint(
                fields=("is_home",),
                condition=models.Q(is_home=True),
                name="catalogue_one_home_institution",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name shown everywhere (the one rule, with :func:`display_name_key` for sorting
        in the database): the English name when there is one, else the official name, cased
        when the Commission writes it in capitals ("UNIVERSIDAD DE GRANADA" reads "Universidad
        de Granada"). ``name`` keeps the official spelling for the office and EWP."""
        return display_name(self.name, self.name_en)

    def clean(self) -> None:
        if self.erasmus_code:
            try:
                self.erasmus_code = erasmus_code.normalise(self.erasmus_code)
            except erasmus_code.InvalidErasmusCode as error:
                raise ValidationError({"erasmus_code": str(error)}) from None
        if self.schac_code:
            self.schac_code = self.schac_code.strip().lower()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.erasmus_code:
            self.erasmus_code = erasmus_code.normalise(self.erasmus_code)
        else:
            self.erasmus_code = None
        self.schac_code = (self.schac_code or "").strip().lower() or None
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("catalogue:institution", kwargs={"pk": self.pk})


class School(models.Model):
    """A School of the home university, or a part of one with its own mobility rules
    (AUIC is split into AUIC-ARCH and AUIC-ENG: ``parent`` links them)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_it = models.CharField(_("Italian name"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sections",
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("School")
        verbose_name_plural = _("Schools")
        ordering = ("code",)

    def __str__(self) -> str:
        return f"{self.code} – {self.display_name}"

    @property
    def display_name(self) -> str:
        """The School's name in the reader's language: the Italian name for an Italian
        reader when there is one, else the English ``name``."""
        return localised(self.name, it=self.name_it)


class CourseOfStudy(models.Model):
    """A degree programme of the home university (corso di studio)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_it = models.CharField(_("Italian name"), max_length=200, blank=True)
    level = models.CharField(_("degree level"), max_length=3, choices=DegreeLevel.choices)
    school = models.ForeignKey(
        School, verbose_name=_("School"), on_delete=models.PROTECT, related_name="courses"
    )
    isced_code = models.CharField(
        _("ISCED-F field"), max_length=4, choices=ISCED_CHOICES, blank=True
    )
    language = models.CharField(
        _("language of teaching"), max_length=2, choices=Language.choices, default=Language.IT
    )
    campus = models.CharField(_("campus"), max_length=80, blank=True)
    credits_per_semester = models.PositiveSmallIntegerField(
        _("credits expected per semester abroad"),
        default=30,
        help_text=_("Learning agreements are checked against it (30 ECTS by default)."),
    )
    coordinators: models.ManyToManyField[Promoter, Any] = models.ManyToManyField(
        "Promoter",
        verbose_name=_("exchange coordinators"),
        blank=True,
        related_name="coordinated_courses",
        help_text=_("Professors who approve learning agreements and recognise exams."),
    )

    class Meta:
        verbose_name = _("course of study")
        verbose_name_plural = _("courses of study")
        ordering = ("level", "name")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_level_display()})"

    @property
    def display_name(self) -> str:
        """The course's name in the reader's language (as a School's: :func:`localised`)."""
        return localised(self.name, it=self.name_it)

    @property
    def eqf(self) -> int:
        return DegreeLevel(self.level).eqf


class Network(models.Model):
    """An international network of universities (ATHENS, IDEA League, T.I.M.E. ...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    members: models.ManyToManyField[Institution, NetworkMembership] = models.ManyToManyField(
        Institution,
        verbose_name=_("members"),
        through="NetworkMembership",
        related_name="networks",
    )

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class NetworkMembership(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    member_since = models.PositiveSmallIntegerField(_("member since"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("network membership")
        verbose_name_plural = _("network memberships")
        constraints = [
            models.UniqueConstraint(
                fields=("network", "institution"), name="catalogue_unique_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.institution} in {self.network}"


class Promoter(models.Model):
    """A professor who promotes mobility (docente promotore) for partner sites, or coordinates
    exchanges for courses of study (the exchange referent). A user with the promoter role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="promoter",
    )
    title = models.CharField(_("title"), max_length=40, blank=True, help_text=_("e.g. Prof."))
    school = models.ForeignKey(
        School, verbose_name=_("School"), on_delete=models.PROTECT, related_name="promoters"
    )
    department = models.CharField(_("department"), max_length=200, blank=True)
    email = models.EmailField(_("public e-mail"), blank=True)

    class Meta:
        verbose_name = _("promoter")
        verbose_name_plural = _("promoters")
        ordering = ("user__last_name", "user__first_name")

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{self.title} {name}".strip()


class Contact(models.Model):
    """A public contact point: the International Mobility Unit, a School's mobility desk."""

    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    name = models.CharField(_("name"), max_length=200)
    school = models.ForeignKey(
        School,
        verbose_name=_("School"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ("order", "name")

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    """An agreement with a partner institution (an inter-institutional agreement in EWP)."""

    code = models.CharField(
        _("reference"),
        max_length=40,
        unique=True,
        help_text=_("The office's reference for the agreement, unique."),
    )
    partner = models.ForeignKey(
        Institution,
        verbose_name=_("partner institution"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    programme = models.CharField(_("programme"), max_length=16, choices=Programme.choices)
    network = models.ForeignKey(
        Network,
        verbose_name=_("network"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    start_year = models.PositiveSmallIntegerField(
        _("first academic year"),
        help_text=_("The year the first academic year starts: 2026 for 2026/2027."),
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    end_year = models.PositiveSmallIntegerField(
        _("last academic year"),
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AgreementStatus.choices,
        default=AgreementStatus.DRAFT,
        db_index=True,
    )
    promoter = models.ForeignKey(
        Promoter,
        verbose_name=_("promoter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agreements",
    )
    partner_contact = models.CharField(_("contact at the partner"), max_length=300, blank=True)
    notes = models.TextField(_("notes for students"), blank=True)
    # Our id of the agreement in Erasmus Without Paper (the iia-id partners hold): given once,
    # when the agreement is created, and never changed by a setting or a secret.
    iia_id = models.UUIDField(_("IIA id"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ("partner__name", "code")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_year__gte=models.F("start_year")),
                name="catalogue_agreement_years_in_order",
                violation_error_message=_("The last academic year cannot come before the first."),
            ),
            models.CheckConstraint(
                condition=~models.Q(programme=Programme.NETWORK) | models.Q(network__isnull=False),
                name="catalogue_network_agreement_names_network",
                violation_error_message=_("A network agreement must name its network."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.partner}"

    def get_absolute_url(self) -> str:
        return reverse("catalogue:agreement", kwargs={"pk": self.pk})

    @property
    def years_display(self) -> str:
        if self.start_year == self.end_year:
            return format_year(self.start_year)
        return f"{format_year(self.start_year)} – {format_year(self.end_year)}"


class Offer(models.Model):
    """What an agreement offers (the EWP cooperation condition): seats for students of some
    courses of study at some levels, for so many months, with a language requirement."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="offers"
    )
    mobility_type = models.CharField(
        _("mobility type"), max_length=16, choices=MobilityType.choices, default=MobilityType.STUDY
    )
    level_bachelor = models.BooleanField(_("Bachelor (EQF 6)"), default=False)
    level_master = models.BooleanField(_("Master (EQF 7)"), default=False)
    level_doctorate = models.BooleanField(_("Doctorate (EQF 8)"), default=False)
    isced_code = models.CharField(_("ISCED-F field"), max_length=4, choices=ISCED_CHOICES)
    courses = models.ManyToManyField(
        CourseOfStudy,
        verbose_name=_("eligible courses of study"),
        related_name="offers",
        help_text=_("The courses of study whose students may choose this offer (the Manifesto)."),
    )
    seats = models.PositiveSmallIntegerField(
        _("seats per year"), validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    months = models.PositiveSmallIntegerField(
        _("months per seat"), validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    weeks = models.PositiveSmallIntegerField(
        _("weeks per seat"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_(
            "For a short stay (an ATHENS week, a summer school): its length in weeks, shown "
            "instead of the months."
        ),
    )
    extendable = models.BooleanField(
        _("extendable"),
        default=False,
        help_text=_(
            "A stay can be extended by one more semester, with the promoters' authorisation."
        ),
    )
    language = models.CharField(
        _("language of instruction"), max_length=2, choices=Language.choices
    )
    language_level = models.CharField(
        _("required language level"), max_length=2, choices=CEFR.choices, blank=True
    )
    language_notes = models.CharField(_("language notes"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ("agreement", "id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level_bachelor=True)
                | models.Q(level_master=True)
                | models.Q(level_doctorate=True),
                name="catalogue_offer_has_a_level",
                violation_error_message=_("An offer is open to at least one level."),
            ),
            models.CheckConstraint(
                condition=models.Q(seats__gte=1), name="catalogue_offer_seats_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(months__gte=1, months__lte=24),
                name="catalogue_offer_months_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.partner} – {self.get_mobility_type_display()} ({self.isced_code})"

    @property
    def eqf_levels(self) -> list[int]:
        levels = []
        if self.level_bachelor:
            levels.append(int(EQF.BACHELOR))
        if self.level_master:
            levels.append(int(EQF.MASTER))
        if self.level_doctorate:
            levels.append(int(EQF.DOCTORATE))
        return levels

    @property
    def isced_name(self) -> str:
        return isced_name(self.isced_code)

    @property
    def total_months(self) -> int:
        return self.seats * self.months

    # The label: what tells two offers of one partner apart wherever they are named (a call's
    # page, the ranked list, an application, the results). Callers select (or prefetch)
    # ``agreement__partner`` and ``agreement__network`` with the offer, or call
    # :func:`offer_label` with the same facts read as values.

    @property
    def programme_label(self) -> str:
        """The programme in a few words; a network programme says its network ("ATHENS")."""
        agreement = self.agreement
        network = agreement.network.name if agreement.network is not None else ""
        return programme_label(agreement.programme, network)

    @property
    def duration_label(self) -> str:
        """How long a seat lasts: "5 months", or "1 week" for a short stay."""
        return duration_label(self.months, self.weeks)

    @property
    def label(self) -> str:
        """The institution, the programme and the duration: "TU Delft - Double Degree, 24
        months" (with an en dash), never a bare institution name that two offers share."""
        agreement = self.agreement
        return offer_label(
            institution=agreement.partner.display_name,
            programme=agreement.programme,
            network=agreement.network.name if agreement.network is not None else "",
            months=self.months,
            weeks=self.weeks,
        )


def programme_label(programme: str, network: str = "") -> str:
    """A programme in a few words; a network programme names its network."""
    if programme == Programme.NETWORK and network:
        return gettext("%(network)s network") % {"network": network}
    short = SHORT_PROGRAMMES.get(programme)
    return str(short) if short is not None else programme


def duration_label(months: int, weeks: int | None = None) -> str:
    """How long a seat lasts: its weeks for a short stay, else its months."""
    if weeks:
        return ngettext("%(weeks)d week", "%(weeks)d weeks", weeks) % {"weeks": weeks}
    return ngettext("%(months)d month", "%(months)d months", months) % {"months": months}


def offer_label(
    *, institution: str, programme: str, network: str, months: int, weeks: int | None = None
) -> str:
    """:attr:`Offer.label` from its facts as values (a page that names hundreds of offers
    reads them with ``values_list`` rather than as models)."""
    return gettext("%(institution)s – %(programme)s, %(duration)s") % {
        "institution": institution,
        "programme": programme_label(programme, network),
        "duration": duration_label(months, weeks),
    }


SHORT_PROGRAMMES: dict[str, Any] = {
    Programme.ERASMUS: _("Erasmus+"),
    Programme.BILATERAL: _("Bilateral"),
    Programme.DOUBLE_DEGREE: _("Double Degree"),
    Programme.NETWORK: _("Network programme"),
}
