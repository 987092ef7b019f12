"""Reusable reads of the catalogue. The public catalogue, the map and the API all filter
offers through :func:`filter_offers`, so a filter means the same everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django_countries import countries

from abroad.catalogue.enums import AgreementStatus
from abroad.catalogue.models import (
    Agreement,
    CourseOfStudy,
    Institution,
    Offer,
    display_name,
    display_name_key,
)
from abroad.core.enums import CEFR, EQF
from abroad.core.permissions import can

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from abroad.people.models import User


@dataclass(frozen=True)
class OfferFilter:
    """What a student asks the catalogue. Empty strings mean "any"."""

    course: str = ""  # CourseOfStudy.code: "what can I choose?"
    country: str = ""  # ISO 3166-1 alpha-2
    programme: str = ""  # Programme value
    network: str = ""  # Network.code
    language: str = ""  # ISO 639-1, the language of instruction
    language_level: str = ""  # CEFR: the student's level; offers asking for more are hidden
    eqf: int | None = None  # 6, 7 or 8
    isced: str = ""  # an ISCED-F code, broad (2 digits), narrow (3) or detailed (4)
    mobility_type: str = ""  # MobilityType value; "study" also matches study-or-thesis
    q: str = ""  # free text: institution, city, Erasmus code, agreement reference
    sort: str = "partner"

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) in ("", None) for f in fields(self) if f.name != "sort")


# "Sort by institution" sorts by the name shown (Institution.display_name), not the official one
_PARTNER = display_name_key("agreement__partner__")
SORTS: dict[str, tuple[str | Func, ...]] = {
    "partner": (_PARTNER, "id"),
    "country": ("agreement__partner__country", _PARTNER, "id"),
    "city": ("agreement__partner__city", _PARTNER, "id"),
    "seats": ("-seats", _PARTNER, "id"),
    "months": ("-months", _PARTNER, "id"),
    "programme": ("agreement__programme", _PARTNER, "id"),
}


def public_offers() -> QuerySet[Offer]:
    """Offers of active agreements: what the public and students see."""
    return Offer.objects.filter(agreement__status__in=AgreementStatus.public_states())


def filter_offers(offers: QuerySet[Offer], wanted: OfferFilter) -> QuerySet[Offer]:
    """Narrow ``offers`` to what ``wanted`` asks for, sorted as it asks."""
    if wanted.course:
        course = CourseOfStudy.objects.filter(code=wanted.course).only("pk", "level").first()
        if course is None:
            return offers.none()
        # A semi-join on the link table: no join that would need DISTINCT.
        offers = offers.filter(
            pk__in=Offer.courses.through.objects.filter(courseofstudy_id=course.pk).values(
                "offer_id"
            ),
            **{_level_field(course.eqf): True},
        )
    if wanted.country:
        offers = offers.filter(agreement__partner__country=wanted.country.upper())
    if wanted.programme:
        offers = offers.filter(agreement__programme=wanted.programme)
    if wanted.network:
        offers = offers.filter(
            Q(agreement__network__code=wanted.network)
            | Q(agreement__partner__networks__code=wanted.network)
        )
    if wanted.language:
        offers = offers.filter(language=wanted.language)
    if wanted.language_level:
        offers = offers.filter(
            Q(language_level="") | Q(language_level__in=_levels_up_to(wanted.language_level))
        )
    if wanted.eqf:
        offers = offers.filter(**{_level_field(wanted.eqf): True})
    if wanted.isced:
        offers = offers.filter(isced_code__startswith=wanted.isced)
    if wanted.mobility_type:
        offers = offers.filter(mobility_type__in=_types_matching(wanted.mobility_type))
    if wanted.q:
        for word in wanted.q.split():
            offers = offers.filter(
                Q(agreement__partner__name__icontains=word)
                | Q(agreement__partner__name_en__icontains=word)
                | Q(agreement__partner__city__icontains=word)
                | Q(agreement__partner__erasmus_code__icontains=word)
                | Q(agreement__code__icontains=word)
            )
    if wanted.network:
        offers = offers.distinct()
    return offers.order_by(*SORTS.get(wanted.sort, SORTS["partner"]))


def catalogue_page(wanted: OfferFilter) -> QuerySet[Offer]:
    """The public catalogue's rows, with what each row shows joined in (constant queries)."""
    return (
        filter_offers(public_offers(), wanted)
        .select_related("agreement", "agreement__partner", "agreement__network")
        .annotate(course_count=Coalesce(Subquery(_course_count), 0, output_field=IntegerField()))
    )


_course_count = (
    Offer.courses.through.objects.filter(offer_id=OuterRef("pk"))
    .order_by()
    .values("offer_id")
    .annotate(number=Count("*"))
    .values("number")  # type: ignore[misc]  # the stubs cannot see annotations
)


def map_points(wanted: OfferFilter) -> list[dict[str, Any]]:
    """One point per partner institution with matching offers, for the map (two queries,
    grouped by the database)."""
    matching = Offer.objects.filter(
        pk__in=filter_offers(public_offers(), wanted).order_by().values("pk"),
        agreement__partner__latitude__isnull=False,
    )
    partners = (
        matching.values(
            "agreement__partner_id",
            "agreement__partner__name",
            "agreement__partner__name_en",
            "agreement__partner__city",
            "agreement__partner__country",
            "agreement__partner__latitude",
            "agreement__partner__longitude",
        )
        .annotate(offer_count=Count("id"), seat_count=Sum("seats"))
        .order_by()
    )
    agreements: dict[int, list[dict[str, Any]]] = {}
    for row in (
        matching.values("agreement_id", "agreement__code", "agreement__programme")
        .annotate(partner_id=F("agreement__partner_id"))
        .distinct()
        .order_by("agreement__code")
    ):
        agreements.setdefault(row["partner_id"], []).append(
            {
                "id": row["agreement_id"],
                "code": row["agreement__code"],
                "programme": row["agreement__programme"],
            }
        )
    # Every country's name at once (django-countries looks each up among all the translated
    # names: with 2,740 partners that was most of the map's time).
    names = country_names()
    points = [
        {
            "id": row["agreement__partner_id"],
            "name": display_name(
                row["agreement__partner__name"], row["agreement__partner__name_en"]
            ),
            "city": row["agreement__partner__city"],
            # the country's name in the reader's language ("India"), as the popup shows it
            "country": names.get(row["agreement__partner__country"], ""),
            "country_code": row["agreement__partner__country"],
            "lat": float(row["agreement__partner__latitude"] or 0),
            "lon": float(row["agreement__partner__longitude"] or 0),
            "seats": row["seat_count"],
            "offers": row["offer_count"],
            "agreements": agreements.get(row["agreement__partner_id"], []),
        }
        for row in partners
    ]
    return sorted(points, key=lambda point: point["name"].casefold())


# Every country's name, by language: translations do not change while a process runs.
_country_names: dict[str, dict[str, str]] = {}


def country_names() -> dict[str, str]:
    """Every country's name in the active language, by code (what ``Country(code).name``
    says), made in one pass once per language: ``countries.name(code)`` goes through all the
    translated names for each code."""
    language = get_language() or ""
    names = _country_names.get(language)
    if names is None:
        names = _country_names[language] = {code: str(name) for code, name in countries}
    return names


def public_agreements() -> QuerySet[Agreement]:
    return Agreement.objects.filter(status__in=AgreementStatus.public_states())


def sees_every_agreement(user: User | AnonymousUser) -> bool:
    """The user sees agreements in every status (the office), not only the public ones."""
    return can(user, "catalogue.manage_agreements")


def visible_agreements(user: User | AnonymousUser) -> QuerySet[Agreement]:
    """The agreements ``user`` may see: every one for the office, the public ones
    (:meth:`AgreementStatus.public_states`) for everybody else (the catalogue's pages and the
    API alike)."""
    if sees_every_agreement(user):
        return Agreement.objects.all()
    return public_agreements()


def visible_partners(user: User | AnonymousUser) -> QuerySet[Institution]:
    """The partner institutions of :func:`visible_agreements`."""
    if sees_every_agreement(user):
        return Institution.objects.partners().filter(agreements__isnull=False).distinct()
    return partner_institutions()


def partner_institutions() -> QuerySet[Institution]:
    """Partners with at least one public agreement."""
    return Institution.objects.filter(
        agreements__status__in=AgreementStatus.public_states()
    ).distinct()


def by_schac_codes(hei_ids: Iterable[str], path: str = "") -> Q:
    """Rows whose institution (``path`` leads to it, e.g. ``"partner__"``) has one of the SCHAC
    codes ``hei_ids``, in any case: codes are stored in lower case (:class:`Institution`), so
    this is one indexed ``IN``."""
    codes = sorted({h.strip().lower() for h in hei_ids if h.strip()})
    return Q(**{f"{path}schac_code__in": codes})


def _level_field(eqf: int) -> str:
    return {
        int(EQF.BACHELOR): "level_bachelor",
        int(EQF.MASTER): "level_master",
        int(EQF.DOCTORATE): "level_doctorate",
    }.get(int(eqf), "level_bachelor")


def _levels_up_to(level: str) -> list[str]:
    values = [choice.value for choice in CEFR]
    return values[: values.index(level) + 1]


def _types_matching(mobility_type: str) -> list[str]:
    if mobility_type in ("study", "thesis"):
        return [mobility_type, "study_thesis"]
    return [mobility_type]
