"""The SPID and CIE routes: djangosaml2's views on the profile's own configuration
(abroad/identity/spid.py), the AuthnRequest with SPID's Issuer and indexes, the ACS that
signs in by fiscal code at the level asked, and the signed metadata."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from djangosaml2 import views as saml_views
from saml2.s_utils import sid
from saml2.saml import NAMEID_FORMAT_ENTITY, Issuer

from abroad.identity import spid_checks, views
from abroad.identity.backends import REFUSAL
from abroad.identity.services import Refused
from abroad.identity.spid import PROFILES, SPID, Profile, SpidBackend, signed_metadata

logger = logging.getLogger(__name__)
SPID_BACKEND = "abroad.identity.spid.SpidBackend"
# When each AuthnRequest of this browser was made (its id -> a POSIX time): an assertion
# issued before its request is refused.
REQUESTED_AT = "abroad_spid_requested_at"
# Which profile (spid, cie) this session was opened with: its log-out goes there.
PROFILE_KEY = "abroad_sso_profile"


class SpidRulesBroken(Exception):
    pass


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
        ident = sid()
        sso_kwargs["message_id"] = ident
        session = self.request.saml_session
        requested = dict(session.get(REQUESTED_AT) or {})
        # keep the last few (a student may start again), not every one
        requested = dict(list(requested.items())[-9:])
        requested[ident] = timezone.now().timestamp()
        session[REQUESTED_AT] = requested


class AssertionConsumerServiceView(views.AssertionConsumerServiceView):
    profile: Profile = SPID

    def custom_validation(self, response: Any) -> None:
        """SHA-1 refused (as for SAML), then SPID's rules on the Response
        (abroad/identity/spid_checks.py)."""
        super().custom_validation(response)
        session = self.request.saml_session
        stamp = (session.get(REQUESTED_AT) or {}).get(response.in_response_to)
        found = spid_checks.problems(
            str(response.xmlstr),
            acs_url=f"{self.profile.base}/acs/",
            requested_at=dt.datetime.fromtimestamp(stamp, dt.UTC) if stamp else None,
            now=timezone.now(),
            skew=dt.timedelta(seconds=settings.SAML_CLOCK_SKEW_SECONDS),
        )
        if found:
            logger.warning("%s response refused: %s", self.profile.label, "; ".join(found))
            refusal = Refused(
                _(
                    "The answer of your identity provider does not follow the %(method)s "
                    "rules, so it was not accepted. Please log in again."
                )
                % {"method": self.profile.label}
            )
            setattr(self.request, REFUSAL, refusal)
            raise SpidRulesBroken("; ".join(found))

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
        request.session[PROFILE_KEY] = self.profile.name
        saml_views._set_subject_id(request.saml_session, session_info["name_id"])  # type: ignore[attr-defined]
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


def logout(request: HttpRequest) -> HttpResponseBase:
    """The header's "Log out" while SPID or CIE is on: a session opened through one of them
    ends at its identity provider too (a signed LogoutRequest, single logout); any other as
    its own way in ends it (SAML's, OpenID Connect's, Django's). POST only, with the CSRF
    token."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    profile = request.session.get(PROFILE_KEY)
    subject = saml_views._get_subject_id(request.saml_session)  # type: ignore[attr-defined]
    if request.user.is_authenticated and profile in PROFILES and subject is not None:
        loader = f"abroad.identity.spid.{profile}_config"
        response: HttpResponse = views.LogoutInitView.as_view(config_loader_path=loader)(request)
        if response.status_code == 302:
            # the CSP (form-action 'self') stops a form's redirect to another site
            return render(request, "identity/logging_out.html", {"location": response["Location"]})
        return response
    if "oidc" in settings.LOGIN_METHODS:
        from abroad.identity import oidc_views

        return oidc_views.logout(request)
    if "saml" in settings.LOGIN_METHODS:
        return views.logout(request)
    return auth_views.LogoutView.as_view()(request)
