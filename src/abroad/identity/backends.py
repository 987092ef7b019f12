"""The SAML authentication backend: djangosaml2 checks the response (signature, audience,
time, InResponseTo); this maps its attributes and applies the linking rule."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from djangosaml2.backends import Saml2Backend

from abroad.identity import services
from abroad.identity.attributes import MissingAttribute, identity_from
from abroad.people.models import User

# Where the refusal page finds the reason: Django's authenticate() swallows the exception.
REFUSAL = "abroad_identity_refusal"


class SamlBackend(Saml2Backend):
    def authenticate(
        self,
        request: HttpRequest | None,
        session_info: dict[str, Any] | None = None,
        attribute_mapping: Any = None,
        create_unknown_user: bool = True,
        assertion_info: Any = None,
        **kwargs: Any,
    ) -> User | None:
        if request is None or session_info is None or "ava" not in session_info:
            return None
        name_id = session_info.get("name_id")
        try:
            identity = identity_from(
                session_info["ava"],
                getattr(name_id, "text", None),
                username_attribute=settings.SAML_USERNAME_ATTRIBUTE,
                attribute_map=settings.SAML_ATTRIBUTE_MAP,
                affiliation_roles=settings.SAML_AFFILIATION_ROLES,
            )
            user = services.sign_in(session_info["issuer"], identity)
        except MissingAttribute as missing:
            setattr(request, REFUSAL, missing)
            return None
        except services.Refused as refused:
            setattr(request, REFUSAL, refused)
            return None
        return user if self.user_can_authenticate(user) else None
