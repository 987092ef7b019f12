"""The catalogue's read API: partner institutions, agreements, offers, courses of study and
networks.

The offers endpoint takes exactly the public catalogue's filters, turns them into a
:class:`~abroad.catalogue.queries.OfferFilter` and asks :func:`queries.catalogue_page`, so a
filter means the same in the web pages and in the API (a query string copied from the
catalogue's address works here too). Everyone reads only public agreements (the states in
``AgreementStatus.public_states()``); the office (``catalogue.manage_agreements``) reads all
of them. An agreement or institution the reader may not see answers 404.
"""

# No `from __future__ import annotations` here: ninja reads the views' annotations
# (`Query[OfferFilters]`) at import time and cannot resolve them as strings.
from typing import Annotated, Any, Literal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django_countries import countries
from ninja import Field, Path, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.pagination import paginate
from pydantic import WithJsonSchema, field_validator

from abroad.api.common import (
    MAX_ID,
    Pagination,
    describe_choices,
    invalid_query,
    optional_enum,
)
from abroad.catalogue import queries
from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.models import (
    Agreement,
    CourseOfStudy,
    Institution,
    Network,
    Offer,
    Promoter,
)
from abroad.core.cache import public_page
from abroad.core.enums import CEFR, ISCED_FIELDS, DegreeLevel, Language

router = Router(tags=["catalogue"])

# -- Shared documentation -------------------------------------------------------------------

PROGRAMME_DOC = describe_choices("The programme the agreement sends students under.", Programme)
STATUS_DOC = describe_choices(
    "Where the agreement stands. Only the office sees agreements that are not `active`.",
    AgreementStatus,
)
MOBILITY_TYPE_DOC = describe_choices("What the student does at the host.", MobilityType)
LANGUAGE_DOC = describe_choices("The language of instruction (ISO 639-1).", Language)
CEFR_DOC = describe_choices(
    "A level of the Common European Framework of Reference for languages, lowest first.", CEFR
)
DEGREE_LEVEL_DOC = describe_choices("The degree level of the course of study.", DegreeLevel)
SORT_LABELS = {
    "partner": "by institution name",
    "country": "by country, then institution",
    "city": "by city, then institution",
    "seats": "most seats first",
    "months": "longest stay first",
    "programme": "by programme, then institution",
}
SORT_DOC = describe_choices(
    "The order of the offers.", [(key, SORT_LABELS.get(key, key)) for key in queries.SORTS]
)


class Message(Schema):
    detail: str = Field(title="Detail", description="What went wrong.")


class ValidationProblem(Schema):
    type: str = Field(title="Type", description="The kind of error, e.g. `literal_error`.")
    loc: list[str | int] = Field(
        title="Location", description='Where the error is, e.g. `["query", "eqf"]`.'
    )
    msg: str = Field(title="Message", description="What is wrong, for a human.")


class ValidationMessage(Schema):
    detail: list[ValidationProblem] = Field(
        title="Detail", description="One entry per query parameter that does not validate."
    )


# -- Filters --------------------------------------------------------------------------------


# Every code django-countries knows: ISO 3166-1 alpha-2, and XK for Kosovo (settings'
# COUNTRIES_OVERRIDE), the codes an institution's country can have.
COUNTRY_CODES: list[str] = sorted(str(code) for code, _name in countries)

COUNTRY_DOC = (
    "The partner's country: an ISO 3166-1 alpha-2 code in upper case such as `DE` (or `XK` "
    "for Kosovo); empty means any."
)
EMPTY_MEANS_ANY = " An empty value means any, as in the catalogue's own addresses."


def _text(max_length: int) -> WithJsonSchema:
    """The documented type of a free-text or code parameter: at most ``max_length``
    characters, none of them NUL (which no database column can hold)."""
    return WithJsonSchema({"type": "string", "maxLength": max_length, "pattern": "^[^\\x00]*$"})


def _search(description: str) -> Any:
    return Field(None, title="Search", description=description, max_length=100)


class _PartnerFilters(Schema):
    """What the filters on institutions and on agreements share: the partner's country, a
    free-text search (each declares its own, to say what it searches), and that an empty
    value means "any"."""

    country: Annotated[str | None, optional_enum(COUNTRY_CODES)] = Field(
        None, title="Country", description=COUNTRY_DOC
    )

    @field_validator("*", mode="before")
    @classmethod
    def empty_means_any(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("*")
    @classmethod
    def no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("the value holds a NUL character")
        return value

    @field_validator("country")
    @classmethod
    def known_country(cls, value: str | None) -> str | None:
        if value is None or value in COUNTRY_CODES:
            return value
        if value.upper() in COUNTRY_CODES:
            raise ValueError(f"country codes are in upper case: '{value.upper()}'")
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (nor XK)")

    @field_validator("q", check_fields=False)
    @classmethod
    def stripped(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


class InstitutionFilters(_PartnerFilters):
    """Filters on partner institutions. An empty value means "any"."""

    q: Annotated[str | None, _text(100)] = _search(
        "Free text; every word must appear in the institution's name, English name, city, "
        "Erasmus code or SCHAC code."
    )


class AgreementFilters(_PartnerFilters):
    """The catalogue's filters that apply to a whole agreement: an agreement matches when
    one of its offers matches them. An empty value means "any"."""

    q: Annotated[str | None, _text(100)] = _search(
        "Free text; every word must appear in the partner's name, English name, city or "
        "Erasmus code, or in the agreement's reference."
    )

    course: Annotated[str | None, _text(20)] = Field(
        None,
        title="Course of study",
        description="A course of study's code (see `/api/courses`): offers open to its "
        "students, at its level. A code that no course of study has answers 422.",
        max_length=20,
    )
    programme: Annotated[Programme | None, optional_enum(Programme.values)] = Field(
        None, title="Programme", description=PROGRAMME_DOC + "\n\n" + EMPTY_MEANS_ANY.strip()
    )
    network: Annotated[str | None, _text(40)] = Field(
        None,
        title="Network",
        description="A network's code (see `/api/networks`): agreements under the network, "
        "or with a partner that is a member of it. A code that no network has answers 422.",
        max_length=40,
    )

    def to_filter(self) -> queries.OfferFilter:
        return queries.OfferFilter(
            course=self.course or "",
            country=self.country or "",
            programme=self.programme or "",
            network=self.network or "",
            q=self.q or "",
        )


class OfferFilters(AgreementFilters):
    """The public catalogue's filters, all of them. An empty value means "any"."""

    language: Annotated[Language | None, optional_enum(Language.values)] = Field(
        None, title="Language", description=LANGUAGE_DOC + "\n\n" + EMPTY_MEANS_ANY.strip()
    )
    language_level: Annotated[CEFR | None, optional_enum(CEFR.values)] = Field(
        None,
        title="Language level",
        description="The student's level in the language of instruction: offers that ask "
        "for more are left out." + EMPTY_MEANS_ANY + " " + CEFR_DOC,
    )
    eqf: Annotated[Literal[6, 7, 8] | None, optional_enum(["6", "7", "8"])] = Field(
        None,
        title="EQF level",
        description="The degree level: 6 Bachelor, 7 Master, 8 Doctorate." + EMPTY_MEANS_ANY,
    )
    isced: Annotated[str | None, optional_enum(ISCED_FIELDS)] = Field(
        None,
        title="ISCED-F field",
        description="An ISCED-F 2013 field of education: broad (`07`), narrow (`071`) or "
        "detailed (`0715`); a broader field matches the fields inside it." + EMPTY_MEANS_ANY,
    )
    mobility_type: Annotated[
        Literal["study", "thesis"] | None, optional_enum(["study", "thesis"])
    ] = Field(
        None,
        title="Mobility for",
        description="`study` or `thesis`; each also matches offers for study and/or thesis."
        + EMPTY_MEANS_ANY,
    )
    sort: Annotated[str, optional_enum(queries.SORTS)] = Field(
        "partner", title="Sort", description=SORT_DOC + "\n\nEmpty means `partner`."
    )

    @field_validator("eqf", mode="before")
    @classmethod
    def eqf_number(cls, value: Any) -> Any:
        """A query string is text: ``"7"`` is 7 (a Literal alone would not convert it)."""
        if value in ("6", "7", "8"):
            return int(value)
        return value

    @field_validator("isced")
    @classmethod
    def known_isced(cls, value: str | None) -> str | None:
        if value is not None and value not in ISCED_FIELDS:
            raise ValueError(f"'{value}' is not an ISCED-F field that the catalogue knows")
        return value

    @field_validator("sort", mode="before")
    @classmethod
    def known_sort(cls, value: Any) -> Any:
        if value in ("", None):
            return "partner"
        if value not in queries.SORTS:
            raise ValueError(f"sort must be one of: {', '.join(queries.SORTS)}")
        return value

    def to_filter(self) -> queries.OfferFilter:
        return queries.OfferFilter(
            course=self.course or "",
            country=self.country or "",
            programme=self.programme or "",
            network=self.network or "",
            language=self.language or "",
            language_level=self.language_level or "",
            eqf=self.eqf,
            isced=self.isced or "",
            mobility_type=self.mobility_type or "",
            q=self.q or "",
            sort=self.sort,
        )


# -- Response schemas -----------------------------------------------------------------------


class NetworkRef(Schema):
    id: int = Field(title="ID")
    code: str = Field(title="Code", description="The value of the `network` filter.")
    name: str = Field(title="Name")


class InstitutionRef(Schema):
    id: int = Field(title="ID")
    name: str = Field(title="Name", description="The official name.")
    name_en: str = Field(
        title="English name", description="Empty when the official name is the English one."
    )
    country: str = Field(title="Country", description="ISO 3166-1 alpha-2 code.")
    city: str = Field(title="City")

    @staticmethod
    def resolve_country(obj: Institution) -> str:
        return str(obj.country.code)


class InstitutionOut(InstitutionRef):
    latitude: float | None = Field(title="Latitude", description="WGS 84 degrees, if known.")
    longitude: float | None = Field(title="Longitude", description="WGS 84 degrees, if known.")
    erasmus_code: str | None = Field(
        title="Erasmus code", description="As the Commission writes it, e.g. `D  BERLIN01`."
    )
    schac_code: str | None = Field(
        title="SCHAC code", description="The internet domain that identifies it in EWP."
    )
    website: str | None = Field(title="Website")
    networks: list[NetworkRef] = Field(
        title="Networks", description="The networks the institution is a member of."
    )

    @staticmethod
    def resolve_website(obj: Institution) -> str | None:
        return obj.website or None


class AgreementRef(Schema):
    id: int = Field(title="ID")
    code: str = Field(title="Reference", description="The office's reference, unique.")
    programme: Programme = Field(title="Programme", description=PROGRAMME_DOC)
    start_year: int = Field(
        title="First academic year", description="Its start year: 2026 for 2026/2027."
    )
    end_year: int = Field(title="Last academic year", description="Its start year.")
    status: AgreementStatus = Field(title="Status", description=STATUS_DOC)


class InstitutionDetail(InstitutionOut):
    agreements: list[AgreementRef] = Field(
        title="Agreements", description="The agreements with the institution you may see."
    )

    @staticmethod
    def resolve_agreements(obj: Institution) -> list[Agreement]:
        visible: list[Agreement] = getattr(obj, "visible_agreements", [])
        return visible


class AgreementOut(AgreementRef):
    partner: InstitutionRef = Field(title="Partner institution")
    network: NetworkRef | None = Field(
        title="Network", description="The network, for a network programme."
    )
    years: str = Field(title="Academic years", description="e.g. `2026/2027 – 2028/2029`.")
    offer_count: int = Field(title="Offers", description="How many offers it has.")
    seats: int = Field(title="Seats", description="Seats per year over all its offers.")
    notes: str = Field(title="Notes for students")

    @staticmethod
    def resolve_years(obj: Agreement) -> str:
        return obj.years_display

    @staticmethod
    def resolve_seats(obj: Agreement) -> int:
        return int(getattr(obj, "total_seats", 0) or 0)


class PromoterOut(Schema):
    name: str = Field(title="Name", description="The professor who promotes the agreement.")
    email: str = Field(title="E-mail", description="The public e-mail, may be empty.")

    @staticmethod
    def resolve_name(obj: Promoter) -> str:
        return str(obj)


class OfferCore(Schema):
    id: int = Field(title="ID")
    mobility_type: MobilityType = Field(title="Mobility type", description=MOBILITY_TYPE_DOC)
    eqf_levels: list[int] = Field(
        title="EQF levels", description="The degree levels it is open to: 6, 7, 8."
    )
    isced_code: str = Field(title="ISCED-F field", description="ISCED-F 2013 code.")
    isced_name: str = Field(title="ISCED-F field name")
    seats: int = Field(title="Seats per year")
    months: int = Field(title="Months per seat")
    weeks: int | None = Field(
        default=None,
        title="Weeks per seat",
        description="For a short stay (an ATHENS week): its length in weeks; null otherwise.",
    )
    extendable: bool = Field(
        title="Extendable", description="A stay can be extended by one more semester."
    )
    language: Language = Field(title="Language of instruction", description=LANGUAGE_DOC)
    language_level: CEFR | None = Field(
        title="Required language level",
        description="The level asked for, null when none. " + CEFR_DOC,
    )
    language_notes: str = Field(title="Language notes")
    notes: str = Field(title="Notes")
    courses: list[str] = Field(
        title="Courses of study",
        description="The codes of the courses of study whose students may choose it.",
    )

    @staticmethod
    def resolve_language_level(obj: Offer) -> str | None:
        return obj.language_level or None

    @staticmethod
    def resolve_courses(obj: Offer) -> list[str]:
        return [course.code for course in obj.courses.all()]


class OfferAgreement(Schema):
    id: int = Field(title="ID")
    code: str = Field(title="Reference")
    programme: Programme = Field(title="Programme", description=PROGRAMME_DOC)
    network: str | None = Field(title="Network", description="The network's code, if any.")
    years: str = Field(title="Academic years")

    @staticmethod
    def resolve_network(obj: Agreement) -> str | None:
        return obj.network.code if obj.network else None

    @staticmethod
    def resolve_years(obj: Agreement) -> str:
        return obj.years_display


class OfferOut(OfferCore):
    agreement: OfferAgreement = Field(title="Agreement")
    partner: InstitutionRef = Field(title="Partner institution")

    @staticmethod
    def resolve_partner(obj: Offer) -> Institution:
        return obj.agreement.partner


class AgreementDetail(AgreementOut):
    partner: InstitutionOut = Field(title="Partner institution")
    promoter: PromoterOut | None = Field(title="Promoter")
    offers: list[OfferCore] = Field(title="Offers", description="What the agreement offers.")


class CourseOfStudyOut(Schema):
    id: int = Field(title="ID")
    code: str = Field(title="Code", description="The value of the `course` filter.")
    name: str = Field(title="Name")
    name_it: str = Field(title="Italian name")
    level: DegreeLevel = Field(title="Degree level", description=DEGREE_LEVEL_DOC)
    eqf: int = Field(title="EQF level")
    school: str = Field(title="School", description="The School's code.")
    isced_code: str = Field(title="ISCED-F field")
    language: Language = Field(title="Language of teaching", description=LANGUAGE_DOC)

    @staticmethod
    def resolve_school(obj: CourseOfStudy) -> str:
        return obj.school.code


class NetworkOut(NetworkRef):
    description: str = Field(title="Description")
    website: str | None = Field(title="Website")
    member_count: int = Field(title="Members", description="How many institutions belong.")

    @staticmethod
    def resolve_website(obj: Network) -> str | None:
        return obj.website or None


# -- Reads ----------------------------------------------------------------------------------

# An object's ID in the path: a positive integer that a BigAutoField can hold, else 422.
ID_IN_PATH = Annotated[int, Path(ge=1, le=MAX_ID, title="ID", description="The object's ID.")]


def _check_codes(filters: AgreementFilters) -> None:
    """An unknown course of study or network is a mistake: say so, as for any filter."""
    if filters.course and not CourseOfStudy.objects.filter(code=filters.course).exists():
        raise invalid_query(
            "course",
            f"No course of study has the code '{filters.course}'; see /api/courses.",
            filters.course,
        )
    if filters.network and not Network.objects.filter(code=filters.network).exists():
        raise invalid_query(
            "network",
            f"No network has the code '{filters.network}'; see /api/networks.",
            filters.network,
        )


def _courses_codes() -> Prefetch[Any]:
    return Prefetch("courses", queryset=CourseOfStudy.objects.only("id", "code").order_by("code"))


@router.get(
    "/institutions",
    response={200: list[InstitutionOut], 422: ValidationMessage},
    summary="Partner institutions",
    url_name="institutions",
)
@decorate_view(public_page)
@paginate(Pagination)
def list_institutions(
    request: HttpRequest, filters: Query[InstitutionFilters]
) -> QuerySet[Institution]:
    """The partner institutions with at least one agreement you may see (a public one,
    unless you are the office), by name."""
    institutions = queries.visible_partners(request.user).prefetch_related("networks")
    if filters.country:
        institutions = institutions.filter(country=filters.country)
    for word in (filters.q or "").split():
        institutions = institutions.filter(
            Q(name__icontains=word)
            | Q(name_en__icontains=word)
            | Q(city__icontains=word)
            | Q(erasmus_code__icontains=word)
            | Q(schac_code__icontains=word)
        )
    return institutions.order_by("name", "id")


@router.get(
    "/institutions/{institution_id}",
    response={200: InstitutionDetail, 404: Message, 422: ValidationMessage},
    summary="A partner institution",
    url_name="institution",
)
@decorate_view(public_page)
def get_institution(request: HttpRequest, institution_id: ID_IN_PATH) -> Institution:
    """A partner institution with the agreements you may see; 404 if it has none (or there
    is no such institution), 422 if the ID is not a positive 64-bit integer."""
    agreements = queries.visible_agreements(request.user).order_by("code")
    return get_object_or_404(
        queries.visible_partners(request.user).prefetch_related(
            "networks", Prefetch("agreements", queryset=agreements, to_attr="visible_agreements")
        ),
        pk=institution_id,
    )


def _agreement_rows(request: HttpRequest) -> QuerySet[Agreement]:
    return (
        queries.visible_agreements(request.user)
        .select_related("partner", "network")
        .annotate(offer_count=Count("offers"), total_seats=Sum("offers__seats"))
    )


@router.get(
    "/agreements",
    response={200: list[AgreementOut], 422: ValidationMessage},
    summary="Agreements",
    url_name="agreements",
)
@decorate_view(public_page)
@paginate(Pagination)
def list_agreements(request: HttpRequest, filters: Query[AgreementFilters]) -> QuerySet[Agreement]:
    """The agreements you may see (the active ones, unless you are the office), by partner.
    With filters, the agreements with at least one offer that matches them, as in the
    catalogue."""
    _check_codes(filters)
    agreements = _agreement_rows(request)
    wanted = filters.to_filter()
    if not wanted.is_empty():
        matching = queries.filter_offers(Offer.objects.all(), wanted).order_by()
        agreements = agreements.filter(pk__in=matching.values("agreement_id"))
    return agreements.order_by("partner__name", "code")


@router.get(
    "/agreements/{agreement_id}",
    response={200: AgreementDetail, 404: Message, 422: ValidationMessage},
    summary="An agreement with its offers",
    url_name="agreement",
)
@decorate_view(public_page)
def get_agreement(request: HttpRequest, agreement_id: ID_IN_PATH) -> Agreement:
    """An agreement, its partner and everything it offers; 404 if you may not see it (or
    there is no such agreement), 422 if the ID is not a positive 64-bit integer."""
    offers = Offer.objects.prefetch_related(_courses_codes()).order_by("id")
    return get_object_or_404(
        _agreement_rows(request)
        .select_related("promoter__user")
        .prefetch_related("partner__networks", Prefetch("offers", queryset=offers)),
        pk=agreement_id,
    )


@router.get(
    "/offers",
    response={200: list[OfferOut], 422: ValidationMessage},
    summary="Offers (the public catalogue)",
    url_name="offers",
)
@decorate_view(public_page)
@paginate(Pagination)
def list_offers(request: HttpRequest, filters: Query[OfferFilters]) -> QuerySet[Offer]:
    """The public catalogue: every offer of an active agreement, with the catalogue's
    filters and sort orders. The same query string gives the same offers as the catalogue's
    web page."""
    _check_codes(filters)
    return queries.catalogue_page(filters.to_filter()).prefetch_related(_courses_codes())


@router.get(
    "/courses",
    response={200: list[CourseOfStudyOut], 422: ValidationMessage},
    summary="Courses of study",
    url_name="courses",
)
@decorate_view(public_page)
@paginate(Pagination)
def list_courses(request: HttpRequest) -> QuerySet[CourseOfStudy]:
    """The home university's courses of study: their codes are the values of the `course`
    filter."""
    return CourseOfStudy.objects.select_related("school").order_by("name", "level", "id")


@router.get(
    "/networks",
    response={200: list[NetworkOut], 422: ValidationMessage},
    summary="Networks",
    url_name="networks",
)
@decorate_view(public_page)
@paginate(Pagination)
def list_networks(request: HttpRequest) -> QuerySet[Network]:
    """The university networks: their codes are the values of the `network` filter."""
    return Network.objects.annotate(member_count=Count("memberships")).order_by("name", "id")
