"""The SPID and CIE routes, under /spid/ and /cie/ (routed only when ``ABROAD_LOGIN_METHODS``
names them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from abroad.identity import spid_views
from abroad.identity.spid import PROFILES


def patterns(name: str) -> list[URLPattern]:
    profile = PROFILES[name]
    loader = f"abroad.identity.spid.{name}_config"
    common = {"config_loader_path": loader, "profile": profile}
    return [
        path("login/", spid_views.LoginView.as_view(**common), name=f"{name}_login"),
        path("acs/", spid_views.AssertionConsumerServiceView.as_view(**common), name=f"{name}_acs"),
        path("ls/", spid_views.LogoutView.as_view(config_loader_path=loader), name=f"{name}_ls"),
        path(
            "ls/post/",
            spid_views.LogoutView.as_view(config_loader_path=loader),
            name=f"{name}_ls_post",
        ),
        path("metadata/", spid_views.metadata, {"profile": name}, name=f"{name}_metadata"),
    ]
