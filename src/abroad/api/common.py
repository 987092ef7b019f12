"""What every router of the API shares: pagination, enum documentation, validation errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Choices
from django.utils import translation
from ninja import Field, Schema
from ninja.errors import ValidationError
from ninja.pagination import PageNumberPagination
from pydantic import WithJsonSchema

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Past the last page a page is empty; past this one it is a mistake (422), not a database
# error: 10**6 pages of 200 items is far more than the catalogue will ever hold.
MAX_PAGE = 1_000_000
# The largest ID an object can have (a BigAutoField, on every database): a larger one is a
# mistake (422) rather than an integer the database cannot take.
MAX_ID = 2**63 - 1


class PageInput(Schema):
    page: int = Field(
        1,
        ge=1,
        le=MAX_PAGE,
        title="Page",
        description=f"The page to return, from 1 (at most {MAX_PAGE:,}); a page past the last "
        "one is empty.",
    )
    page_size: int = Field(
        PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        title="Page size",
        description=f"How many items per page: {PAGE_SIZE} unless asked, at most {MAX_PAGE_SIZE}.",
    )


class PageOutput(Schema):
    items: list[Any]
    count: int = Field(
        title="Count", description="How many items match the filters, over all pages."
    )


class Pagination(PageNumberPagination):
    """Page-number pagination: ``?page=2&page_size=100``; every answer carries the total
    ``count`` of the items that match, over all pages."""

    Input = PageInput  # type: ignore[assignment]
    Output = PageOutput  # type: ignore[assignment]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs)


def describe_choices(intro: str, choices: type[Choices] | Iterable[tuple[Any, Any]]) -> str:
    """``intro`` followed by a Markdown list of the values and what each means, for the
    description of a field whose type is an enumeration."""
    pairs = choices.choices if isinstance(choices, type) else list(choices)
    # In English whatever language the request that first loads the URLconf asked for.
    with translation.override("en"):
        lines = "\n".join(f"- `{value}`: {label}" for value, label in pairs)
    return f"{intro}\n\n{lines}"


def optional_enum(values: Iterable[str]) -> WithJsonSchema:
    """The documented type of a query parameter that takes one of ``values`` or the empty
    string, which means "any" (as in the catalogue's own addresses)."""
    return WithJsonSchema({"type": "string", "enum": ["", *values]})


def optional_id() -> WithJsonSchema:
    """The documented type of an ID in the query string, where empty means "any"."""
    return WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"enum": [""]}]}
    )


def invalid_query(field: str, message: str, value: str) -> ValidationError:
    """A 422 error shaped like the ones ninja gives for a query parameter that does not
    validate, for checks that need the database (an unknown course of study)."""
    return ValidationError(
        [{"type": "value_error", "loc": ["query", field], "msg": message, "input": value}]
    )
