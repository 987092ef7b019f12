"""``python -m abroad check`` (and every start) says what SAML or OpenID Connect lacks when
it is switched on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def saml_configured(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if "saml" not in settings.LOGIN_METHODS:
        return []
    try:
        from abroad.identity.config import config_dict
    except ImportError:
        return [
            Error(
                "ABROAD_LOGIN_METHODS names saml but pysaml2/djangosaml2 are not installed.",
                hint="pip install --no-deps -r requirements-saml.txt (docs/operator-guide.md)",
                id="identity.E001",
            )
        ]
    try:
        config_dict()
    except ImproperlyConfigured as problem:
        return [Error(str(problem), id="identity.E002")]
    return []


@register()
def oidc_configured(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if "oidc" not in settings.LOGIN_METHODS:
        return []
    try:
        from abroad.identity.oidc import check_configured
    except ImportError:
        return [
            Error(
                "ABROAD_LOGIN_METHODS names oidc but mozilla-django-oidc is not installed.",
                hint="pip install mozilla-django-oidc (docs/operator-guide.md)",
                id="identity.E003",
            )
        ]
    try:
        check_configured()
    except ImproperlyConfigured as problem:
        return [Error(str(problem), id="identity.E004")]
    return []


@register()
def spid_configured(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """SPID and CIE: what their profile lacks (the key, the organisation's IPA code and
    contact, the identity providers)."""
    wanted = [name for name in ("spid", "cie") if name in settings.LOGIN_METHODS]
    if not wanted:
        return []
    try:
        from abroad.identity.spid import PROFILES, config_dict
    except ImportError:
        return [
            Error(
                "ABROAD_LOGIN_METHODS names spid or cie but pysaml2/djangosaml2 are not installed.",
                hint="pip install --no-deps -r requirements-saml.txt (docs/operator-guide.md)",
                id="identity.E005",
            )
        ]
    errors = []
    for name in wanted:
        try:
            config_dict(PROFILES[name])
        except ImproperlyConfigured as problem:
            errors.append(Error(str(problem), id="identity.E006"))
    return errors
