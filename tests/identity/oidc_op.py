"""A real OpenID Connect provider for the tests: its own HTTP server in a thread on a free
loopback port, speaking the authorization code flow (with PKCE), its discovery document, a
JWKS with its RSA key, RS256-signed ID tokens (PyJWT), a userinfo endpoint, a log-in page
that keeps a session in a cookie, and an end-session endpoint that ends it. Nothing of
abroad's is mocked: abroad fetches everything from here over HTTP.

``forge(...)`` makes the next ID token wrong on purpose (another key, another audience,
expired, another nonce or issuer), for the refusal tests."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

PASSWORD = "op-password"
COOKIE = "op_session"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Grant:
    """An authorization code, as the provider handed it to the browser."""

    client_id: str
    redirect_uri: str
    nonce: str | None
    username: str
    challenge: str
    method: str
    used: bool = False


@dataclass
class OpenIDProvider:
    """The provider; ``start()`` it, ``stop()`` it. ``host`` is the name the issuer URL uses
    (``localhost`` beside a live abroad on 127.0.0.1: another site, as a real provider is)."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    client_id: str = "abroad-test"
    client_secret: str = "client-secret-for-tests"
    name: str = "MyAcademicID"
    host: str = "127.0.0.1"
    advertise_end_session: bool = True
    serve_discovery: bool = True
    lifetime_seconds: int = 300

    def __post_init__(self) -> None:
        self.key = rsa_key()
        self.kid = "op-signing-key"
        self.sessions: dict[str, str] = {}
        self.codes: dict[str, Grant] = {}
        self.access_tokens: dict[str, str] = {}
        self.ended: list[str] = []  # the subjects whose session ended at end_session
        self.forgery: dict[str, Any] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.issuer = f"http://{self.host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> OpenIDProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what it publishes -----------------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }
        if self.advertise_end_session:
            document["end_session_endpoint"] = f"{self.issuer}/logout"
        return document

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    # -- the test's hands ------------------------------------------------------------------
    def forge(self, **changes: Any) -> None:
        """The next ID token: ``key`` (another private key), ``kid``, ``aud``, ``iss``,
        ``nonce``, ``exp``/``iat`` (absolute times), ``drop`` (claims left out)."""
        self.forgery = changes

    def log_in(self, browser: requests.Session, username: str) -> None:
        """The person signs in at the provider's own page (its session cookie in ``browser``)."""
        answer = browser.post(
            f"{self.issuer}/login",
            data={"username": username, "password": PASSWORD, "next": ""},
            allow_redirects=False,
        )
        assert answer.status_code == 303, answer.text

    def authorize(self, browser: requests.Session, location: str) -> str:
        """The browser at the authorization endpoint (signed in there): the redirect back to
        abroad, with the code and the state."""
        assert location.startswith(f"{self.issuer}/authorize?"), location
        answer = browser.get(location, allow_redirects=False)
        assert answer.status_code == 302, answer.text
        return str(answer.headers["Location"])

    def signed_in(self, browser: requests.Session) -> bool:
        return browser.cookies.get(COOKIE) in self.sessions

    # -- the protocol ----------------------------------------------------------------------
    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.accounts[grant.username]["sub"],
            "aud": grant.client_id,
            "azp": grant.client_id,
            "iat": now,
            "auth_time": now,
            "exp": now + self.lifetime_seconds,
            **({"nonce": grant.nonce} if grant.nonce is not None else {}),
            **{k: v for k, v in self.accounts[grant.username].items() if k != "sub"},
        }
        forgery, self.forgery = self.forgery, {}
        for name in ("aud", "iss", "nonce", "exp", "iat"):
            if name in forgery:
                claims[name] = forgery[name]
        for name in forgery.get("drop", ()):
            claims.pop(name, None)
        key = forgery.get("key", self.key)
        headers = {"kid": forgery.get("kid", self.kid)}
        return jwt.encode(claims, key, algorithm=forgery.get("alg", "RS256"), headers=headers)

    def userinfo(self, username: str) -> dict[str, Any]:
        return dict(self.accounts[username])


def _handler(op: OpenIDProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(
            self,
            status: int,
            body: bytes | str = b"",
            *,
            location: str = "",
            content_type: str = "text/html; charset=utf-8",
            cookie: str = "",
        ) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, document: dict[str, Any]) -> None:
            self._send(status, json.dumps(document), content_type="application/json")

        def _session(self) -> str | None:
            for part in self.headers.get("Cookie", "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == COOKIE and value in op.sessions:
                    return op.sessions[value]
            return None

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            fields = parse_qs(self.rfile.read(length).decode())
            return {key: values[0] for key, values in fields.items()}

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                if op.serve_discovery:
                    self._json(200, op.discovery())
                else:
                    self._send(404)
            elif url.path == "/jwks":
                self._json(200, op.jwks())
            elif url.path == "/authorize":
                self.authorize(query, url.query)
            elif url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in op.access_tokens:
                    self._json(401, {"error": "invalid_token"})
                else:
                    self._json(200, op.userinfo(op.access_tokens[token]))
            elif url.path == "/logout":
                self.end_session(query)
            else:  # the browser's favicon.ico
                self._send(204)

        def authorize(self, query: dict[str, str], raw: str) -> None:
            op.authorize_requests.append(query)
            if query.get("client_id") != op.client_id or query.get("response_type") != "code":
                self._send(400, "unknown client or response type")
                return
            if "openid" not in query.get("scope", "").split():
                self._send(400, "not an OpenID Connect request")
                return
            username = self._session()
            if username is None:
                form = (
                    "<form method='post' action='/login'>"
                    f"<input type='hidden' name='next' value='{html.escape(raw)}'>"
                    "<label>Username <input name='username' autocomplete='username'></label>"
                    "<label>Password <input type='password' name='password'></label>"
                    "<button>Sign in</button></form>"
                )
                self._send(200, _page(f"{op.name}: sign in", form))
                return
            code = secrets.token_urlsafe(24)
            op.codes[code] = Grant(
                client_id=query["client_id"],
                redirect_uri=query["redirect_uri"],
                nonce=query.get("nonce"),
                username=username,
                challenge=query.get("code_challenge", ""),
                method=query.get("code_challenge_method", ""),
            )
            back = urlencode({"code": code, "state": query.get("state", "")})
            self._send(302, location=f"{query['redirect_uri']}?{back}")

        def end_session(self, query: dict[str, str]) -> None:
            hint = query.get("id_token_hint", "")
            try:
                claims = jwt.decode(
                    hint,
                    op.key.public_key(),
                    algorithms=["RS256"],
                    audience=op.client_id,
                    issuer=op.issuer,
                    options={"verify_exp": False},
                )
            except jwt.InvalidTokenError:
                self._send(400, _page("Log-out refused", "<p>Unknown ID token.</p>"))
                return
            for cookie, username in list(op.sessions.items()):
                if op.accounts[username]["sub"] == claims["sub"]:
                    del op.sessions[cookie]
            op.ended.append(str(claims["sub"]))
            back = query.get("post_logout_redirect_uri", "")
            if back:
                self._send(302, location=back, cookie=f"{COOKIE}=; Max-Age=0; Path=/")
            else:
                self._send(200, _page("Signed out", ""), cookie=f"{COOKIE}=; Max-Age=0; Path=/")

        def do_POST(self) -> None:
            fields = self._form()
            if self.path == "/login":
                account = op.accounts.get(fields.get("username", ""))
                if account is None or fields.get("password") != PASSWORD:
                    self._send(200, _page("Wrong password", ""))
                    return
                session = secrets.token_urlsafe(16)
                op.sessions[session] = fields["username"]
                self._send(
                    303,
                    location=f"/authorize?{fields.get('next', '')}",
                    cookie=f"{COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax",
                )
            elif self.path == "/token":
                self.token(fields)
            else:
                self._send(404)

        def token(self, fields: dict[str, str]) -> None:
            op.token_requests.append(fields)
            basic = self.headers.get("Authorization", "")
            client_id, secret = fields.get("client_id", ""), fields.get("client_secret", "")
            if basic.startswith("Basic "):
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            if client_id != op.client_id or secret != op.client_secret:
                self._json(401, {"error": "invalid_client"})
                return
            grant = op.codes.get(fields.get("code", ""))
            if (
                grant is None
                or grant.used
                or fields.get("grant_type") != "authorization_code"
                or fields.get("redirect_uri") != grant.redirect_uri
                or grant.client_id != client_id
            ):
                self._json(400, {"error": "invalid_grant"})
                return
            verifier = fields.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant.method != "S256" or expected != grant.challenge:
                self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                return
            grant.used = True
            access = secrets.token_urlsafe(24)
            op.access_tokens[access] = grant.username
            self._json(
                200,
                {
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": op.lifetime_seconds,
                    "id_token": op.id_token(grant),
                },
            )

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><main><h1>{title}</h1>{body}</main></body></html>"
    )
