"""Why a single sign-on answer signed nobody in, worded once for both protocols (SAML 2 and
OpenID Connect), and the page that says it. Imports neither pysaml2 nor mozilla-django-oidc: a
site with only one of them installed uses it."""

from __future__ import annotations

from enum import StrEnum

from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class Why(StrEnum):
    SIGNATURE = "signature"
    EXPIRED = "expired"
    NOT_OURS = "not_ours"
    REPLAYED = "replayed"
    NOT_SIGNED_IN = "not_signed_in"
    UNKNOWN_PROVIDER = "unknown_provider"
    UNREACHABLE = "unreachable"


def message(why: Why) -> str:
    """What the refusal page says, in the reader's language."""
    if why is Why.SIGNATURE:
        return _(
            "The answer of your identity provider could not be verified: its signature is "
            "missing or wrong."
        )
    if why is Why.EXPIRED:
        return _("The answer of your identity provider has expired. Please log in again.")
    if why is Why.REPLAYED:
        return _(
            "This answer does not belong to a log-in started here, or it was already used. "
            "Please log in again."
        )
    if why is Why.NOT_SIGNED_IN:
        return _("Your identity provider did not sign you in.")
    if why is Why.UNKNOWN_PROVIDER:
        return _("The answer comes from an identity provider that is not known here.")
    if why is Why.UNREACHABLE:
        return _("Your identity provider could not be reached. Please try again in a few minutes.")
    return _(
        "The answer of your identity provider was not accepted (it may be meant for another "
        "service). Please log in again."
    )


def missing(attribute: str) -> str:
    return _(
        "Your identity provider did not send %(attribute)s, which names you here. Ask "
        "your university's help desk to release it to this service."
    ) % {"attribute": attribute}


def level_too_low(given: int, needed: int) -> str:
    """A SPID or CIE log-in at a lower level than the service asks."""
    if given == 0:
        return _(
            "Your identity provider did not say at which SPID level it signed you in; this "
            "service needs level %(needed)s. Please log in again."
        ) % {"needed": needed}
    return _(
        "You signed in at SPID level %(given)s, but this service needs level %(needed)s "
        "(a password and a one-time code, or your identity card). Please log in again at "
        "level %(needed)s."
    ) % {"given": given, "needed": needed}


def missing_fiscal_number() -> str:
    return _(
        "Your identity provider did not send your fiscal code (codice fiscale), which links "
        "you to your student record here. Please log in again, and agree to share it."
    )


def page(
    request: HttpRequest, reason: str, status: int = 403, *, sign_out: bool = True
) -> HttpResponse:
    """The refusal page; nobody is signed in afterwards (unless ``sign_out`` is False: an
    answer to no log-in of this session must not end it, or any page could end it with a
    link)."""
    if sign_out and request.user.is_authenticated:
        auth.logout(request)
    return render(request, "identity/refused.html", {"reason": reason}, status=status)
