import logging
from typing import Any

from django import template
from django.conf import settings

register = template.Library()
logger = logging.getLogger(__name__)


@register.simple_tag
def login_methods() -> dict[str, Any]:
    """The ways in the log-in page offers (``ABROAD_LOGIN_METHODS``), with the identity
    providers named in the reader's language (the OpenID Connect provider by its configured
    name). pysaml2 is imported only when SAML is on: a site
    without it (the demo) needs none of it."""
    saml = "saml" in settings.LOGIN_METHODS
    providers: list[tuple[str, str]] = []
    if saml:
        from abroad.identity.config import identity_providers

        try:
            providers = identity_providers()
        except Exception:
            # a broken SAML configuration must not take the local log-in down with it
            logger.exception("SAML is switched on but its configuration does not load")
            saml = False
    local = "local" in settings.LOGIN_METHODS
    # OpenID Connect: one provider, named from the settings (no network here).
    oidc = "oidc" in settings.LOGIN_METHODS
    oidc_name = ""
    if oidc:
        from abroad.identity.oidc import provider_name

        oidc_name = provider_name()
    italian = {name: _italian_providers(name) for name in ("spid", "cie")}
    return {
        "local": local,
        "spid": italian["spid"],
        "cie": italian["cie"],
        "saml": saml,
        "identity_providers": providers,
        "oidc": oidc,
        "oidc_name": oidc_name,
        "single_sign_on": saml or oidc or bool(italian["spid"] or italian["cie"]),
    }


def _italian_providers(name: str) -> list[tuple[str, str]]:
    """SPID's (or CIE's) identity providers when that way in is on, else none (and none when
    its configuration does not load: the other ways in stay)."""
    if name not in settings.LOGIN_METHODS:
        return []
    from abroad.identity.spid import PROFILES, identity_providers

    try:
        return identity_providers(PROFILES[name])
    except Exception:
        logger.exception("%s is switched on but its configuration does not load", name.upper())
        return []
