"""The OpenID Connect pages: the start of a log-in (to the provider), its callback, and the
header's log-out, which also ends the provider's session when it advertises an
``end_session_endpoint``. A refused answer shows the same page as SAML's, in the reader's
language, and signs nobody in."""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django.utils.translation import get_language
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationRequestView, get_next_url

from abroad.identity import oidc, refusals
from abroad.identity.attributes import MissingAttribute
from abroad.identity.oidc import OidcBackend, ProviderUnreachable, TokenRefused
from abroad.identity.refusals import Why
from abroad.identity.services import Refused

logger = logging.getLogger(__name__)


class LoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with a fresh state, nonce and PKCE challenge (kept
    in the session until the answer comes back). A person already signed in goes straight
    where she was going."""

    get_settings = staticmethod(oidc.setting)

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the endpoints are looked up in get(), not at import

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return HttpResponseRedirect(
                get_next_url(request, "next") or resolve_url(settings.LOGIN_REDIRECT_URL)
            )
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.provider().authorization_endpoint
        except (ProviderUnreachable, ImproperlyConfigured) as problem:
            logger.error("OpenID Connect provider unavailable: %s", problem)
            return refusals.page(request, refusals.message(Why.UNREACHABLE), status=503)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        response: HttpResponse = super().get(request)
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        # the provider's log-in page in the reader's language, where it has it
        return {"ui_locales": get_language() or settings.LANGUAGE_CODE}


def _refuse(
    request: HttpRequest,
    why: Why,
    status: int = 403,
    detail: object = "",
    *,
    sign_out: bool = True,
) -> HttpResponse:
    logger.warning("OpenID Connect answer refused: %s %s", why, detail)
    return refusals.page(request, refusals.message(why), status=status, sign_out=sign_out)


class CallbackView(View):
    """The provider's answer: the state must be one this session started (used once), then
    the code is redeemed and the ID token checked (``oidc.OidcBackend``). The account is asked
    of the backend directly, not through Django's ``authenticate``, so that a refused answer is
    not counted by the password throttling (django-axes), as for SAML."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        states = request.session.get("oidc_states")
        state = request.GET.get("state", "")
        pending = None
        if isinstance(states, dict) and state in states:
            pending = states.pop(state)
            request.session["oidc_states"] = states
        # An answer to no log-in this session started changes nothing in it.
        if request.GET.get("error"):
            why = request.GET["error"]
            return _refuse(request, Why.NOT_SIGNED_IN, detail=why, sign_out=pending is not None)
        if pending is None:
            return _refuse(request, Why.REPLAYED, status=400, detail="state", sign_out=False)
        if not request.GET.get("code"):
            return _refuse(request, Why.NOT_OURS, status=400, detail="no code")
        backend = OidcBackend()
        try:
            user = backend.authenticate(
                request, nonce=pending.get("nonce"), code_verifier=pending.get("code_verifier")
            )
        except TokenRefused as refused:
            return _refuse(request, refused.why, detail=refused)
        except MissingAttribute as missing:
            logger.warning("OpenID Connect claim missing: %s", missing.attribute)
            return refusals.page(request, refusals.missing(missing.attribute))
        except Refused as refused:
            return refusals.page(request, str(refused))
        except (requests.RequestException, ProviderUnreachable, ValueError) as problem:
            # the token endpoint refused the code (HTTP 400), or could not be reached
            return _refuse(request, Why.UNREACHABLE, status=502, detail=problem)
        if user is None or not user.is_active:
            return _refuse(request, Why.NOT_OURS)
        next_url = request.session.get("oidc_login_next")
        auth.login(request, user, backend=oidc.BACKEND)
        request.session[oidc.SESSION_ID_TOKEN] = backend.id_token
        return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def logout(request: HttpRequest) -> HttpResponseBase:
    """The header's "Log out" while OpenID Connect is on (it replaces Django's at
    /accounts/logout/): a session opened through the provider ends there too when it
    advertises an ``end_session_endpoint``; a SAML one as SAML ends it; a local one as Django
    ends it. POST only, with the CSRF token, like Django's."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    id_token = request.session.get(oidc.SESSION_ID_TOKEN)
    if request.user.is_authenticated and id_token:
        location = oidc.end_session_url(str(id_token))
        auth.logout(request)
        if not location:
            return HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))
        # The Content-Security-Policy (form-action 'self') stops a form's redirect to another
        # site: the way on to the provider is a page that goes there by itself.
        return render(request, "identity/logging_out.html", {"location": location})
    if "saml" in settings.LOGIN_METHODS:
        from abroad.identity import views as saml_views

        return saml_views.logout(request)
    return auth_views.LogoutView.as_view()(request)
