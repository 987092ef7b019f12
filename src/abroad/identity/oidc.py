"""The OpenID Connect relying party (mozilla-django-oidc): the provider's endpoints (from the
settings or its discovery document), the checks on its ID token, and the claims through the
same attribute map and linking rule as SAML (``attributes.identity_from_claims``,
``services.sign_in``).

What an ID token must be to sign anybody in (docs/security.md): signed with the algorithm
configured (RS256 by default, never a shared secret) by a key the provider publishes in its
JWKS; issued by the configured issuer for this client (``aud``, and ``azp`` when there are
several audiences); not expired (``exp``, with ``OIDC_CLOCK_SKEW_SECONDS`` of leeway) and
carrying ``iat`` and ``sub``; carrying the nonce of the log-in this browser started. The code is
redeemed with PKCE (S256) and the client's secret; the state is used once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from abroad.identity import services
from abroad.identity.attributes import identity_from_claims
from abroad.identity.models import Protocol
from abroad.identity.refusals import Why
from abroad.people.models import User

BACKEND = "abroad.identity.oidc.OidcBackend"
# The ID token of the session's log-in, for the provider's log-out (id_token_hint).
SESSION_ID_TOKEN = "abroad_oidc_id_token"
DISCOVERY_PATH = "/.well-known/openid-configuration"


def oidc_on() -> bool:
    return "oidc" in settings.LOGIN_METHODS


class TokenRefused(Exception):
    """The provider's answer is not accepted; ``why`` says which way (refusals.Why)."""

    def __init__(self, why: Why, detail: str = "") -> None:
        super().__init__(f"{why}: {detail}" if detail else str(why))
        self.why = why


class ProviderUnreachable(Exception):
    """The provider's discovery document could not be fetched or is not its own."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


def check_configured() -> None:
    """Raise ``ImproperlyConfigured`` saying what the settings lack (no network)."""
    if not settings.OIDC_RP_CLIENT_ID or not settings.OIDC_RP_CLIENT_SECRET:
        raise ImproperlyConfigured(
            "OpenID Connect log-in needs the client registered at the provider: set "
            "ABROAD_OIDC_CLIENT_ID and ABROAD_OIDC_CLIENT_SECRET (docs/operator-guide.md)."
        )
    if not settings.OIDC_ISSUER:
        raise ImproperlyConfigured(
            "OpenID Connect log-in needs the provider's issuer: set ABROAD_OIDC_ISSUER (its "
            "endpoints are read from its discovery document unless set one by one)."
        )


@lru_cache(maxsize=4)
def _discovered(issuer: str, _period: int) -> dict[str, Any]:
    try:
        url = f"{issuer.rstrip('/')}{DISCOVERY_PATH}"
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as problem:
        raise ProviderUnreachable(f"{issuer} discovery: {problem}") from problem
    # OpenID Connect Discovery 1.0, 4.3: the document names exactly the issuer it was
    # fetched for (and the ID tokens' iss is checked against that same value).
    if document.get("issuer") != issuer:
        raise ProviderUnreachable(f"the discovery document names {document.get('issuer')!r}")
    return document


def provider() -> Provider:
    """The provider's endpoints: each one set in the settings, else from its discovery
    document (fetched again after ``OIDC_DISCOVERY_REFRESH_MINUTES``)."""
    check_configured()
    issuer = settings.OIDC_ISSUER
    explicit = {
        "authorization_endpoint": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.OIDC_OP_USER_ENDPOINT,
        "jwks_uri": settings.OIDC_OP_JWKS_ENDPOINT,
        "end_session_endpoint": settings.OIDC_OP_END_SESSION_ENDPOINT,
    }
    required = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if all(explicit[name] for name in required):
        return Provider(issuer=issuer, **explicit)
    period = int(time.time() // max(60, settings.OIDC_DISCOVERY_REFRESH_MINUTES * 60))
    document = _discovered(issuer, period)
    found = {name: explicit[name] or str(document.get(name) or "") for name in explicit}
    if not all(found[name] for name in required):
        raise ProviderUnreachable("the discovery document lacks an endpoint")
    return Provider(issuer=issuer, **found)


def username_scope() -> str:
    """What scopes the provider's names (``sub@<scope>``): ``OIDC_USERNAME_SCOPE``, by
    default the issuer's host name; ``-`` for none."""
    scope = settings.OIDC_USERNAME_SCOPE
    if scope == "-":
        return ""
    return scope or urlsplit(settings.OIDC_ISSUER).hostname or ""


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME or urlsplit(settings.OIDC_ISSUER).hostname or "OpenID"


_ENDPOINT_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, the endpoints resolved through ``provider()``."""
    if name in _ENDPOINT_SETTINGS:
        return getattr(provider(), _ENDPOINT_SETTINGS[name])
    if name == "OIDC_TOKEN_USE_BASIC_AUTH":
        return True  # client_secret_basic, the method every provider must support
    if name == "OIDC_VERIFY_KID":
        return True
    if default:
        return getattr(settings, name, default[0])
    return getattr(settings, name)


def end_session_url(id_token: str) -> str:
    """Where the browser goes to end its session at the provider ("" when it advertises no
    ``end_session_endpoint``, or cannot be reached now): back to abroad's home afterwards."""
    try:
        endpoint = provider().end_session_endpoint
    except (ImproperlyConfigured, ProviderUnreachable):
        return ""
    if not endpoint:
        return ""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": f"{settings.SITE_URL}/",
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with abroad's checks and linking rule. Django builds a
    backend for every request that has a signed-in user, so nothing is read at construction:
    the provider's endpoints are looked up only while signing somebody in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()
        self.id_token = ""

    get_settings = staticmethod(setting)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # the library's names
        return provider().token_endpoint

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return provider().userinfo_endpoint

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return provider().jwks_uri

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.OIDC_RP_CLIENT_SECRET)

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return str(settings.OIDC_RP_SIGN_ALGO)

    OIDC_RP_IDP_SIGN_KEY = None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's claims, once every check above has passed; ``TokenRefused``
        otherwise."""
        nonce = kwargs.get("nonce")
        algorithm = self.OIDC_RP_SIGN_ALGO
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as problem:
            raise TokenRefused(Why.SIGNATURE, str(problem)) from problem
        if header.get("alg") != algorithm:
            raise TokenRefused(Why.SIGNATURE, f"alg {header.get('alg')!r}")
        try:
            key = self.retrieve_matching_jwk(token)
        except SuspiciousOperation as problem:  # no published key has the token's kid
            raise TokenRefused(Why.SIGNATURE, str(problem)) from problem
        client_id = self.OIDC_RP_CLIENT_ID
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=client_id,
                issuer=settings.OIDC_ISSUER,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as problem:
            raise TokenRefused(Why.EXPIRED, str(problem)) from problem
        except (jwt.InvalidSignatureError, jwt.DecodeError) as problem:
            raise TokenRefused(Why.SIGNATURE, str(problem)) from problem
        except jwt.InvalidTokenError as problem:  # audience, issuer, a missing claim, iat
            raise TokenRefused(Why.NOT_OURS, str(problem)) from problem
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != client_id:
            raise TokenRefused(Why.NOT_OURS, "azp")
        if nonce is None or payload.get("nonce") != nonce:
            raise TokenRefused(Why.REPLAYED, "nonce")
        self.id_token = token
        return payload

    def get_userinfo(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """The ID token's claims with the userinfo endpoint's (when the provider has one),
        which must be about the same ``sub``."""
        if not self.OIDC_OP_USER_ENDPOINT:
            return dict(payload)
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.OIDC_TIMEOUT,
        )
        response.raise_for_status()
        info = response.json()
        if not isinstance(info, dict) or info.get("sub") != payload["sub"]:
            raise TokenRefused(Why.NOT_OURS, "userinfo sub")
        return {**info, **payload}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        """The linking rule of ``services.sign_in``, as for SAML. Raises ``MissingAttribute``
        or ``services.Refused`` (the callback view says why)."""
        claims = self.get_userinfo(access_token, id_token, payload)
        identity = identity_from_claims(
            claims,
            scope=username_scope(),
            username_claim=settings.OIDC_USERNAME_CLAIM,
            claim_map=settings.OIDC_CLAIM_MAP,
            affiliation_roles=settings.OIDC_AFFILIATION_ROLES,
        )
        return services.sign_in(settings.OIDC_ISSUER, identity, protocol=Protocol.OIDC)

    def get_user(self, user_id: Any) -> User | None:
        """The session's user while the account is active (mozilla-django-oidc's own would
        keep a disabled account signed in; Django's ModelBackend does not)."""
        user = self.UserModel.objects.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def store_tokens(self, access_token: str, id_token: str) -> None:
        """Nothing in the session yet: the callback keeps the ID token after the log-in."""
