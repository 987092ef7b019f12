"""SAML switched on for a test: abroad as the service provider with a fresh key, a real
pysaml2 identity provider trusting its published metadata."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import clear_url_caches, set_urlconf
from tests.identity.idp import IdentityProvider, keypair

SAML_BACKEND = "abroad.identity.backends.SamlBackend"


def reload_urls() -> None:
    import abroad.urls

    importlib.reload(abroad.urls)
    clear_url_caches()
    set_urlconf(None)


@dataclass
class SamlSite:
    idp: IdentityProvider
    settings: Any
    folder: Path

    def sign_in(
        self,
        client: Client,
        attributes: dict[str, list[str]],
        *,
        next_url: str = "/",
        encrypt: bool = False,
        idp: IdentityProvider | None = None,
    ) -> Any:
        """The whole flow: the SP's log-in URL, the IdP's answer, the POST to the ACS."""
        idp = idp or self.idp
        query = f"?next={next_url}"
        if idp is not self.idp or len(self.settings.SAML_IDP_METADATA_FILES) > 1:
            query += f"&idp={idp.entity_id}"
        start = client.get(f"/saml2/login/{query}")
        assert start.status_code == 302, start.content
        request = idp.receive(start["Location"])
        answer = idp.response(request.id, attributes, encrypt=encrypt)
        return client.post("/saml2/acs/", {"SAMLResponse": answer, "RelayState": next_url})


def switch_on(settings: Any, methods: list[str]) -> None:
    settings.LOGIN_METHODS = methods
    backends = [b for b in settings.AUTHENTICATION_BACKENDS if b != SAML_BACKEND]
    if "local" not in methods:
        backends = [b for b in backends if b != "django.contrib.auth.backends.ModelBackend"]
    if "saml" in methods:
        backends.append(SAML_BACKEND)
    settings.AUTHENTICATION_BACKENDS = backends
    reload_urls()


@pytest.fixture
def methods(settings: Any) -> Iterator[Any]:
    """Switch log-in methods for one test: ``methods(["local"])``."""
    original = list(settings.LOGIN_METHODS)

    def switch(wanted: list[str]) -> None:
        switch_on(settings, wanted)

    yield switch
    settings.LOGIN_METHODS = original
    reload_urls()


@pytest.fixture
def saml_site(settings: Any, tmp_path: Path, db: None) -> Iterator[SamlSite]:
    original = list(settings.LOGIN_METHODS)
    idp = IdentityProvider(tmp_path)
    sp_key, sp_cert = keypair(tmp_path, "abroad-sp")
    settings.SAML_KEY_FILE, settings.SAML_CERT_FILE = str(sp_key), str(sp_cert)
    settings.SAML_IDP_METADATA_FILES = [str(idp.write_metadata())]
    settings.SAML_IDP_METADATA_URL = ""
    switch_on(settings, ["local", "saml"])
    # The IdP trusts abroad as abroad publishes itself.
    idp.trust(Client().get("/saml2/metadata/").content.decode())
    yield SamlSite(idp=idp, settings=settings, folder=tmp_path)
    settings.LOGIN_METHODS = original
    reload_urls()
