"""The rules of a ranked-choice application that calls and ATHENS sessions share."""

from __future__ import annotations

from django.utils.translation import gettext as _

from abroad.matching.window import ErrorClass


def require_withdrawable(submitted: bool, *, error: ErrorClass) -> None:
    """Only a submitted application can be withdrawn (in both calls and sessions): a draft
    takes no part in the ranking anyway, so it is left as it is, or deleted, not withdrawn."""
    if not submitted:
        raise error(_("Only a submitted application can be withdrawn."))
