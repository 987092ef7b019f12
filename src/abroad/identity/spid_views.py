"""The SPID and CIE routes: djangosaml2's views on the profile's own configuration
(abroad/identity/spid.py), the AuthnRequest with SPID's Issuer and indexes, the ACS that
signs in by fiscal code at the level asked, and the signed metadata."""

from __future__ import annotations

from typing import Any

from django.contrib import auth
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from saml2.saml import NAMEID_FORMAT_ENTITY, Issuer

from abroad.identity import views
from abroad.identity.spid import PROFILES, SPID, Profile, SpidBackend, signed_metadata

SPID_BACKEND = "abroad.identity.spid.SpidBackend"


class LoginView(views.LoginView):
    profile: Profile = SPID

    def load_sso_kwargs(self, sso_kwargs: dict[str, Any]) -> None:
        """SPID's AuthnRequest: the Issuer with its NameQualifier, and the attribute
        service the metadata lists (index 0)."""
        entity_id = self.profile.entity_id
        sso_kwargs["issuer"] = Issuer(
            text=entity_id, format=NAMEID_FORMAT_ENTITY, name_qualifier=entity_id
        )
        sso_kwargs["attribute_consuming_service_index"] = "0"


class AssertionConsumerServiceView(views.AssertionConsumerServiceView):
    profile: Profile = SPID

    def authenticate_user(
        self,
        request: HttpRequest,
        session_info: dict[str, Any],
        attribute_mapping: Any,
        create_unknown_user: Any,
        assertion_info: Any,
    ) -> Any:
        user = SpidBackend().authenticate(request, session_info=session_info, profile=self.profile)
        if user is None:
            raise PermissionDenied("No user could be authenticated.")
        auth.login(request, user, backend=SPID_BACKEND)
        self.post_login_hook(request, user, session_info)
        self.customize_session(user, session_info)
        return user


class LogoutView(views.LogoutView):
    pass


def metadata(request: HttpRequest, profile: str) -> HttpResponse:
    """The profile's signed metadata, at a stable URL (``/spid/metadata/``)."""
    return HttpResponse(
        signed_metadata(PROFILES[profile]), content_type="application/samlmetadata+xml"
    )
