"""For the rules tests: who of a set of people may do something."""

from __future__ import annotations

from collections.abc import Mapping

from abroad.core.permissions import can

# The people every application's rules are asked about (tests/conftest.py's ``people``).
# ``school_office`` is an office user scoped to the objects' School (3I), ``other_school_office``
# one scoped to another School.
PERSONAS = (
    "owner",
    "other_student",
    "promoter",
    "office",
    "school_office",
    "other_school_office",
    "anonymous",
    "superuser",
)


def who_may(people: Mapping[str, object], perm: str, obj: object = None) -> set[str]:
    """The names of ``people`` whom the rule ``perm`` allows (on ``obj``)."""
    return {name for name, user in people.items() if can(user, perm, obj)}
