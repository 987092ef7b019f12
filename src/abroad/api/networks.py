"""The ATHENS read API: the sessions and each session's course catalogue, public as their
pages are. The course filters are the page's (host, field, language), read by the same
function, so a filter means the same in both."""

# No `from __future__ import annotations` here: ninja reads the annotations at import time.
import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.pagination import paginate
from pydantic import WithJsonSchema, field_validator

from abroad.api.catalogue import InstitutionRef, Message, ValidationMessage
from abroad.api.common import MAX_ID, Pagination, describe_choices, optional_enum, optional_id
from abroad.core.cache import public_page
from abroad.core.enums import Language
from abroad.networks.enums import Season
from abroad.networks.forms import filter_courses
from abroad.networks.models import AthensCourse, AthensSession

router = Router(tags=["ATHENS"])

SEASON_DOC = describe_choices("When the week takes place.", Season)
LANGUAGE_DOC = describe_choices("The language of instruction (ISO 639-1).", Language)


class SessionOut(Schema):
    code: str = Field(title="Code", description="The session's code, e.g. `athens-2027-03`.")
    network: str = Field(title="Network", description="The network's code.")
    season: str = Field(title="Season", description=SEASON_DOC)
    year: int = Field(title="Year")
    starts_on: dt.date = Field(title="First day")
    ends_on: dt.date = Field(title="Last day")
    applications_open_at: dt.datetime = Field(title="Applications open")
    applications_close_at: dt.datetime = Field(
        title="Applications close", description="Enforced on the server, to the second."
    )
    max_choices: int = Field(title="Courses a student may rank")
    course_count: int = Field(title="Courses")
    url: str = Field(title="Page", description="The session's public page.")

    @staticmethod
    def resolve_network(obj: AthensSession) -> str:
        return obj.network.code

    @staticmethod
    def resolve_url(obj: AthensSession) -> str:
        return obj.get_absolute_url()


class AthensCourseOut(Schema):
    code: str = Field(title="Code", description="The network's course code.")
    title: str = Field(title="Title")
    host: InstitutionRef = Field(title="Host institution")
    isced_code: str = Field(title="Field (ISCED-F)")
    language: str = Field(title="Language", description=LANGUAGE_DOC)
    starts_on: dt.date = Field(title="First day")
    ends_on: dt.date = Field(title="Last day")
    capacity: int = Field(title="Places")
    prerequisites: str = Field(title="Prerequisites")
    description: str = Field(title="Description")
    cultural_programme: str = Field(
        title="Cultural programme", description="What the host organises around the courses."
    )
    fee: Decimal = Field(title="Fee", description="In euros; 0 when there is none.")


class CourseFilters(Schema):
    """The session page's filters; an empty value means any, as in the page's address."""

    host: Annotated[int | None, optional_id()] = Field(
        None,
        title="Host",
        description="The host institution's ID; empty means any.",
        ge=1,
        le=MAX_ID,
    )
    field: Annotated[
        str | None, WithJsonSchema({"type": "string", "pattern": "^([0-9]{2,4})?$"})
    ] = Field(
        None,
        title="Field",
        description="An ISCED-F code or its start: `07` engineering, `071`, `0714`...; "
        "empty means any.",
        pattern=r"^[0-9]{2,4}$",
    )
    language: Annotated[Language | None, optional_enum(Language.values)] = Field(
        None, title="Language", description=LANGUAGE_DOC + "\n\nEmpty means any."
    )

    @field_validator("*", mode="before")
    @classmethod
    def empty_means_any(cls, value: Any) -> Any:
        return None if value == "" else value

    def wanted(self) -> dict[str, str]:
        values = {"host": self.host, "field": self.field, "language": self.language}
        return {name: str(value) for name, value in values.items() if value}


@router.get(
    "/athens/sessions",
    response={200: list[SessionOut], 422: ValidationMessage},
    summary="ATHENS sessions",
    url_name="athens_sessions",
)
@decorate_view(public_page)
@paginate(Pagination)
def list_sessions(request: HttpRequest) -> QuerySet[AthensSession]:
    """Every ATHENS session, the newest first."""
    return (
        AthensSession.objects.select_related("network")
        .annotate(course_count=Count("courses"))
        .order_by("-starts_on", "code")
    )


# A session's code is a slug: anything else is a mistake (422), not a lookup.
SESSION_CODE = Annotated[
    str,
    Path(
        title="Code",
        description="The session's code, e.g. `athens-2027-03`.",
        pattern=r"^[-a-zA-Z0-9_]+$",
        max_length=40,
        example="athens-2027-03",
    ),
]


@router.get(
    "/athens/sessions/{code}/courses",
    response={200: list[AthensCourseOut], 404: Message, 422: ValidationMessage},
    summary="The courses of an ATHENS session",
    url_name="athens_courses",
)
@decorate_view(public_page)
def list_courses(
    request: HttpRequest, code: SESSION_CODE, filters: Query[CourseFilters]
) -> list[AthensCourse]:
    """The session's course catalogue, by host and code, with the page's filters; 404 for
    an unknown session."""
    session = get_object_or_404(AthensSession, code=code)
    courses = list(session.courses.select_related("host").order_by("host__name", "code"))
    return filter_courses(courses, filters.wanted())
