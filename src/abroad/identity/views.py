"""The SAML pages: djangosaml2's views with abroad's pages (the discovery list, the refusal
page in the reader's language) and a log-out that also ends a local session."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django.utils.translation import gettext as _
from djangosaml2 import views as saml_views
from saml2.response import (
    DecryptionFailed,
    IncorrectlySigned,
    StatusError,
    UnsolicitedResponse,
)
from saml2.sigver import MissingKey, SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from abroad.identity import refusals
from abroad.identity.attributes import MissingAttribute
from abroad.identity.backends import REFUSAL, SamlBackend
from abroad.identity.refusals import Why
from abroad.identity.services import Refused
from abroad.identity.spid_attributes import LevelTooLow, MissingFiscalNumber

logger = logging.getLogger(__name__)
SAML_BACKEND = "abroad.identity.backends.SamlBackend"
WEAK_ALGORITHM = re.compile(r'Algorithm="http://www\.w3\.org/2000/09/xmldsig#(rsa-sha1|sha1)"')


class WeakSignature(Exception):
    pass


def reason(request: HttpRequest, exception: BaseException | None) -> str:
    """What the refusal page says, for what went wrong."""
    refusal = getattr(request, REFUSAL, None)
    if isinstance(refusal, Refused):
        return str(refusal)
    if isinstance(refusal, MissingAttribute):
        return refusals.missing(refusal.attribute)
    if isinstance(refusal, LevelTooLow):
        return refusals.level_too_low(refusal.given, refusal.needed)
    if isinstance(refusal, MissingFiscalNumber):
        return refusals.missing_fiscal_number()
    if isinstance(exception, MissingKey):
        return refusals.message(Why.UNKNOWN_PROVIDER)
    if isinstance(exception, SigverError | IncorrectlySigned):
        return refusals.message(Why.SIGNATURE)
    if isinstance(exception, DecryptionFailed):
        return _("The answer of your identity provider could not be decrypted.")
    if isinstance(exception, ResponseLifetimeExceed | ToEarly):
        return refusals.message(Why.EXPIRED)
    if isinstance(exception, UnsolicitedResponse):
        return refusals.message(Why.REPLAYED)
    if isinstance(exception, StatusError):
        return refusals.message(Why.NOT_SIGNED_IN)
    return refusals.message(Why.NOT_OURS)


def refused(
    request: HttpRequest,
    exception: BaseException | None = None,
    status: int = 403,
    **kwargs: Any,
) -> HttpResponse:
    """The page shown when single sign-on does not sign anybody in (``SAML_ACS_FAILURE_
    RESPONSE_FUNCTION``). Nobody is signed in afterwards."""
    if exception is not None and not isinstance(exception, PermissionDenied):
        logger.warning("SAML response refused: %s", exception.__class__.__name__)
    return refusals.page(request, reason(request, exception), status=status)


class LoginView(saml_views.LoginView):
    wayf_template = "identity/discovery.html"

    def unknown_idp(self, request: HttpRequest, idp: str) -> HttpResponse:
        return refusals.page(request, _("This identity provider is not known here."))


class AssertionConsumerServiceView(saml_views.AssertionConsumerServiceView):
    """The ACS. djangosaml2 has checked the response (signature, audience, times, that it
    answers a request of this session) before ``authenticate_user``; the account is then
    asked of the SAML backend directly, not through Django's ``authenticate``, so that a
    refused answer is not counted by the password throttling (django-axes) as a wrong
    password: many refusals from one address (a university's NAT) must lock nobody out."""

    def custom_validation(self, response: Any) -> None:
        """SHA-1 signatures and digests are refused: IDEM and eduGAIN sign with SHA-256, and a
        SHA-1 signature can be forged (checked on the response and on the assertion, which
        may have come encrypted)."""
        signed = [str(response.xmlstr), str(response.assertion)]
        if any(WEAK_ALGORITHM.search(text) for text in signed):
            refusal = Refused(
                _(
                    "Your identity provider signed its answer with SHA-1, which is no longer "
                    "safe. Ask your university's help desk to sign with SHA-256."
                )
            )
            setattr(self.request, REFUSAL, refusal)
            raise WeakSignature("SHA-1 signature or digest")

    def authenticate_user(
        self,
        request: HttpRequest,
        session_info: dict[str, Any],
        attribute_mapping: Any,
        create_unknown_user: Any,
        assertion_info: Any,
    ) -> Any:
        user = SamlBackend().authenticate(request, session_info=session_info)
        if user is None:
            raise PermissionDenied("No user could be authenticated.")
        auth.login(request, user, backend=SAML_BACKEND)
        saml_views._set_subject_id(request.saml_session, session_info["name_id"])  # type: ignore[attr-defined]
        self.post_login_hook(request, user, session_info)
        self.customize_session(user, session_info)
        return user


class LogoutInitView(saml_views.LogoutInitView):
    """Ends the session at the identity provider too (single logout); a session opened with
    a local password just ends here."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if saml_views._get_subject_id(request.saml_session) is None:  # type: ignore[attr-defined]
            auth.logout(request)
            return HttpResponseRedirect(resolve_url("home"))
        response: HttpResponse = super().get(request, *args, **kwargs)
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.get(request, *args, **kwargs)


class LogoutView(saml_views.LogoutView):
    logout_error_template = "identity/logout_error.html"


class MetadataView(saml_views.MetadataView):
    pass


def logout(request: HttpRequest) -> HttpResponseBase:
    """The header's "Log out" while SAML is on (it replaces Django's at /accounts/logout/): a
    session opened through single sign-on ends at the identity provider too (single logout),
    a local one as Django ends it. POST only, with the CSRF token, like Django's."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.user.is_authenticated and saml_views._get_subject_id(request.saml_session):  # type: ignore[attr-defined]
        response = LogoutInitView.as_view()(request)
        if response.status_code == 302:
            # The Content-Security-Policy (form-action 'self') stops a form's redirect to
            # another site: the way on to the IdP is a page that goes there by itself.
            return render(request, "identity/logging_out.html", {"location": response["Location"]})
        return response
    return auth_views.LogoutView.as_view()(request)
