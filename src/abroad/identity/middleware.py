"""djangosaml2's SAML session (its own cookie, keeping the requests sent to identity
providers until they answer), only while SAML is switched on: always in ``MIDDLEWARE``, it
imports djangosaml2 only when needed, so a site without SAML needs none of it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# SPID and CIE are SAML profiles: their requests wait in the same session.
SAML_METHODS = {"saml", "spid", "cie"}


class SamlSession:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.saml: Callable[[HttpRequest], HttpResponse] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not SAML_METHODS & set(settings.LOGIN_METHODS):
            return self.get_response(request)
        if self.saml is None:
            from djangosaml2.middleware import SamlSessionMiddleware

            self.saml = SamlSessionMiddleware(self.get_response)
        return self.saml(request)
