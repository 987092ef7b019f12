"""Single sign-on switched on for a test, shared by the files of tests/identity: the log-in
methods switched (``methods``), SAML with a real pysaml2 identity provider trusting abroad's
published metadata (``saml_site``, ``other_idp``, ``started``), OpenID Connect with a real
provider on a loopback port (``oidc_site``), the people they sign in (``ROSSI``,
``foreign_student``, ``linked``) and who is signed in (``signed_in``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.urls import clear_url_caches, set_urlconf
from tests.factories import UserFactory
from tests.identity.idp import IdentityProvider, keypair
from tests.identity.oidc_op import OpenIDProvider

from abroad.identity.models import FederatedIdentity, Protocol
from abroad.people.models import User

SAML_BACKEND = "abroad.identity.backends.SamlBackend"
OIDC_BACKEND = "abroad.identity.oidc.OidcBackend"
SSO_BACKENDS = {"saml": SAML_BACKEND, "oidc": OIDC_BACKEND}

# What Politecnico di Milano's IdP says of Maria Rossi.
ROSSI = {
    "eduPersonPrincipalName": ["maria.rossi@polimi.example"],
    "mail": ["maria.rossi@mail.polimi.example"],
    "givenName": ["Maria"],
    "sn": ["Rossi"],
    "schacPersonalUniqueCode": ["urn:schac:personalUniqueCode:it:polimi.it:studente:123456"],
    "eduPersonAffiliation": ["student", "member"],
}
# ... and what an OpenID Connect provider (MyAcademicID) says of her.
ROSSI_CLAIMS = {
    "sub": "a1b2c3d4-rossi",
    "email": "maria.rossi@mail.polimi.example",
    "given_name": "Maria",
    "family_name": "Rossi",
    "schac_personal_unique_code": ["urn:schac:personalUniqueCode:it:polimi.it:studente:123456"],
    "eduperson_affiliation": ["student", "member"],
}


def signed_in(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def reload_urls() -> None:
    import abroad.urls

    importlib.reload(abroad.urls)
    clear_url_caches()
    set_urlconf(None)


def switch_on(settings: Any, methods: list[str]) -> None:
    settings.LOGIN_METHODS = methods
    backends = [b for b in settings.AUTHENTICATION_BACKENDS if b not in SSO_BACKENDS.values()]
    if "local" not in methods:
        backends = [b for b in backends if b != "django.contrib.auth.backends.ModelBackend"]
    backends += [SSO_BACKENDS[method] for method in methods if method in SSO_BACKENDS]
    settings.AUTHENTICATION_BACKENDS = backends
    reload_urls()


@pytest.fixture
def methods(settings: Any) -> Iterator[Callable[[list[str]], None]]:
    """Switch log-in methods for one test: ``methods(["local"])``."""
    original = list(settings.LOGIN_METHODS)

    def switch(wanted: list[str]) -> None:
        switch_on(settings, wanted)

    yield switch
    settings.LOGIN_METHODS = original
    reload_urls()


@pytest.fixture
def foreign_student(db: None) -> User:
    """An account with a password (an incoming student's, say), not from single sign-on."""
    user: User = UserFactory.create(username="foreign-student")
    return user


@pytest.fixture
def linked(db: None) -> Callable[..., User]:
    """``linked(issuer, username, **fields)``: an account the office linked to that name at
    that provider (created with ``fields`` unless given as ``user=``)."""

    def link(
        issuer: str,
        subject: str,
        *,
        user: User | None = None,
        protocol: str = Protocol.SAML,
        **fields: Any,
    ) -> User:
        account: User = user or UserFactory.create(username=subject, **fields)
        FederatedIdentity.objects.create(
            user=account, issuer=issuer, subject=subject, protocol=protocol
        )
        return account

    return link


# -- SAML --------------------------------------------------------------------------------------


@dataclass
class SamlSite:
    idp: IdentityProvider
    settings: Any
    folder: Path

    def sp_metadata(self) -> str:
        """abroad's metadata, as it publishes it."""
        return Client().get("/saml2/metadata/").content.decode()

    def trusting_idp(self, entity_id: str, **names: str) -> IdentityProvider:
        """Another identity provider that trusts abroad (not yet known to abroad)."""
        idp = (
            IdentityProvider(self.folder, entity_id=entity_id, names=names)
            if names
            else IdentityProvider(self.folder, entity_id=entity_id)
        )
        idp.trust(self.sp_metadata())
        return idp

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


@pytest.fixture
def saml_site(settings: Any, tmp_path: Path, db: None) -> Iterator[SamlSite]:
    original = list(settings.LOGIN_METHODS)
    idp = IdentityProvider(tmp_path)
    sp_key, sp_cert = keypair(tmp_path, "abroad-sp")
    settings.SAML_KEY_FILE, settings.SAML_CERT_FILE = str(sp_key), str(sp_cert)
    settings.SAML_IDP_METADATA_FILES = [str(idp.write_metadata())]
    settings.SAML_IDP_METADATA_URL = ""
    switch_on(settings, ["local", "saml"])
    site = SamlSite(idp=idp, settings=settings, folder=tmp_path)
    # The IdP trusts abroad as abroad publishes itself.
    idp.trust(site.sp_metadata())
    yield site
    settings.LOGIN_METHODS = original
    reload_urls()


@pytest.fixture
def other_idp(saml_site: SamlSite) -> IdentityProvider:
    """The University of Milan's identity provider, trusting abroad; not yet known to it."""
    return saml_site.trusting_idp(
        "https://idp.unimi.example/idp/shibboleth",
        en="University of Milan",
        it="Università degli Studi di Milano",
    )


@pytest.fixture
def started(saml_site: SamlSite) -> Callable[[Client], str]:
    """``started(client)``: a log-in started at abroad, the id of its AuthnRequest."""

    def start(client: Client) -> str:
        location = client.get("/saml2/login/")["Location"]
        return saml_site.idp.receive(location).id

    return start


# -- OpenID Connect ----------------------------------------------------------------------------


@dataclass
class OidcSite:
    op: OpenIDProvider
    settings: Any

    def start(self, client: Client, next_url: str = "") -> str:
        """abroad's log-in URL: the redirect to the provider's authorization endpoint."""
        start = client.get("/oidc/login/" + (f"?next={next_url}" if next_url else ""))
        assert start.status_code == 302, start.content
        return str(start["Location"])

    def answer(self, client: Client, username: str, *, next_url: str = "") -> str:
        """A browser signed in at the provider as ``username`` goes through the log-in: the
        callback URL (path and query) the provider sends it back to."""
        browser = requests.Session()
        self.op.log_in(browser, username)
        back = self.op.authorize(browser, self.start(client, next_url))
        parts = urlsplit(back)
        return f"{parts.path}?{parts.query}"

    def sign_in(self, client: Client, username: str = "maria", *, next_url: str = "") -> Any:
        """The whole flow: abroad's log-in URL, the provider, abroad's callback."""
        return client.get(self.answer(client, username, next_url=next_url))


@pytest.fixture
def oidc_op() -> Iterator[OpenIDProvider]:
    op = OpenIDProvider(accounts={"maria": dict(ROSSI_CLAIMS)}).start()
    yield op
    op.stop()


def configure_oidc(settings: Any, op: OpenIDProvider, methods: list[str]) -> None:
    """abroad as the provider's client: only the issuer is given, the rest discovered."""
    settings.OIDC_PROVIDER_NAME = op.name
    settings.OIDC_ISSUER = op.issuer
    settings.OIDC_RP_CLIENT_ID = op.client_id
    settings.OIDC_RP_CLIENT_SECRET = op.client_secret
    for name in (
        "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT",
        "OIDC_OP_JWKS_ENDPOINT",
        "OIDC_OP_END_SESSION_ENDPOINT",
    ):
        setattr(settings, name, "")
    switch_on(settings, methods)


@pytest.fixture
def oidc_site(settings: Any, oidc_op: OpenIDProvider, db: None) -> Iterator[OidcSite]:
    original = list(settings.LOGIN_METHODS)
    configure_oidc(settings, oidc_op, ["local", "oidc"])
    yield OidcSite(op=oidc_op, settings=settings)
    settings.LOGIN_METHODS = original
    reload_urls()
