"""Django settings for abroad, read from ``ABROAD_*`` environment variables.

See docs/operator-guide.md for every variable. Without any, abroad runs on SQLite in
``./var`` with debug pages off and a development secret key.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from abroad.env import env, envbool, envint, envlist

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", False)
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-set-ABROAD_SECRET_KEY-in-production"
SECRET_KEY = env("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", LOOPBACK_HOSTS)
# The published development key is good for this machine only: a site that answers to any
# other host name refuses to start with it (debug pages off, i.e. anything but development).
if SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEBUG and set(ALLOWED_HOSTS) - set(LOOPBACK_HOSTS):
    raise ImproperlyConfigured(
        "ABROAD_SECRET_KEY is not set: the development key is published and only accepted on "
        "this machine (ABROAD_ALLOWED_HOSTS other than 127.0.0.1, localhost, [::1]). Set "
        "ABROAD_SECRET_KEY to a long random value (docs/operator-guide.md)."
    )
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# The ways in (docs/operator-guide.md, "Single sign-on"): "local" (user name and password,
# throttled by django-axes below), "saml" (SAML 2: IDEM/eduGAIN), "oidc" (OpenID Connect:
# MyAcademicID, Keycloak), "spid" and "cie" (the Italian public identities, SAML profiles of
# their own: abroad/identity/spid.py). A method left out is gone: without "local" no password
# logs anybody in, without "saml" nothing under /saml2/ is routed, without "oidc" nothing under
# /oidc/, without "spid" (or "cie") nothing under /spid/ (/cie/).
LOGIN_METHODS = envlist("LOGIN_METHODS", ["local"])
_unknown_methods = set(LOGIN_METHODS) - {"local", "saml", "oidc", "spid", "cie"}
if _unknown_methods or not LOGIN_METHODS:
    raise ImproperlyConfigured(
        f"ABROAD_LOGIN_METHODS: {', '.join(sorted(_unknown_methods)) or 'empty'}; "
        "name one or more of local, saml, oidc, spid, cie."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "django_countries",
    "django_htmx",
    "template_partials",
    "csp",
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "abroad.core",
    "abroad.matching",
    "abroad.people",
    "abroad.identity",
    "abroad.catalogue",
    "abroad.mobility",
    "abroad.selection",
    "abroad.recognition",
    "abroad.grants",
    "abroad.networks",
    "abroad.ewp",
    "abroad.privacy",
    "abroad.reporting",
    "abroad.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "abroad.identity.middleware.SamlSession",
    "django.middleware.locale.LocaleMiddleware",
    "abroad.core.middleware.RequestBodyCap",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "abroad.core.middleware.IdleSessionTimeout",
    "abroad.core.middleware.NoStoreWhenSignedIn",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "abroad.urls"
WSGI_APPLICATION = "abroad.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "abroad.core.context_processors.site",
            ],
        },
    }
]

# Database: SQLite in DATA_DIR unless ABROAD_DATABASE_URL names another (PostgreSQL).
DATABASE_URL = env("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "abroad.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (docs/operator-guide.md, "Cache"): the public pages are served from it
# (abroad.core.cache). ABROAD_CACHE_URL names it: file:///path (the default, a folder in
# DATA_DIR, shared by the processes of one machine), db://table (a table in the database, made
# by `python -m abroad createcachetable`), redis://host:6379/0 or valkey://host:6379/0 (one
# cache for several machines; needs the redis package), locmem:// (one process), dummy:// (no
# cache). A cached public page lives ABROAD_CACHE_PAGE_SECONDS at most (pages that depend on
# the clock, e.g. an ATHENS session opening, follow within that time).
CACHE_URL = env("CACHE_URL", (DATA_DIR / "cache").as_uri())
CACHE_PAGE_SECONDS = envint("CACHE_PAGE_SECONDS", 60)
_cache_scheme, _cache_sep, _cache_location = CACHE_URL.partition("://")
_CACHE_BACKENDS = {
    "file": "django.core.cache.backends.filebased.FileBasedCache",
    "db": "django.core.cache.backends.db.DatabaseCache",
    "redis": "django.core.cache.backends.redis.RedisCache",
    "rediss": "django.core.cache.backends.redis.RedisCache",
    "valkey": "django.core.cache.backends.redis.RedisCache",
    "locmem": "django.core.cache.backends.locmem.LocMemCache",
    "dummy": "django.core.cache.backends.dummy.DummyCache",
}
if _cache_scheme not in _CACHE_BACKENDS:
    raise ImproperlyConfigured(
        f"ABROAD_CACHE_URL: unknown scheme {_cache_scheme!r}; use file, db, redis, valkey, "
        "locmem or dummy (docs/operator-guide.md)."
    )
CACHES = {
    "default": {
        "BACKEND": _CACHE_BACKENDS[_cache_scheme],
        "LOCATION": (
            _cache_location
            if _cache_scheme in ("file", "db", "locmem")
            else CACHE_URL.replace("valkey://", "redis://", 1)
        ),
        "KEY_PREFIX": "abroad",
        "OPTIONS": {"MAX_ENTRIES": 20_000} if _cache_scheme in ("file", "db", "locmem") else {},
    }
}
# end of cache

AUTH_USER_MODEL = "people.User"

# Authentication is pluggable: ABROAD_AUTH_BACKENDS replaces the local one (local log-in).
AUTHENTICATION_BACKENDS = [
    "abroad.core.auth.ThrottledLogin",
    "rules.permissions.ObjectPermissionBackend",
    *(
        envlist("AUTH_BACKENDS", ["django.contrib.auth.backends.ModelBackend"])
        if "local" in LOGIN_METHODS
        else []
    ),
    *(["abroad.identity.backends.SamlBackend"] if "saml" in LOGIN_METHODS else []),
    *(["abroad.identity.oidc.OidcBackend"] if "oidc" in LOGIN_METHODS else []),
    *(["abroad.identity.spid.SpidBackend"] if {"spid", "cie"} & set(LOGIN_METHODS) else []),
]
# After this many failed log-ins for one user name from one address, log-ins for it from
# there are refused for ABROAD_LOGIN_LOCKOUT_MINUTES (django-axes; a success resets the count).
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 10)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15)
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "abroad.core.auth.locked_out"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE", "Europe/Rome")
USE_TZ = True
# Our date formats over Django's (Italian: "1 settembre 2026"; see abroad/formats).
FORMAT_MODULE_PATH = ["abroad.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))

# Mobility documents: the largest upload accepted, in megabytes (PDF, JPEG and PNG only).
DOCUMENT_MAX_MB = envint("DOCUMENT_MAX_MB", 10)
# Learning agreements: students may propose changes until this many days after their arrival
# (Polimi: five weeks); later only the office can.
LA_CHANGE_WINDOW_DAYS = envint("LA_CHANGE_WINDOW_DAYS", 35)
# Extensions are filed at least this many days before the planned end.
EXTENSION_NOTICE_DAYS = envint("EXTENSION_NOTICE_DAYS", 30)
# The terms planned dates are proposed from, e.g. "autumn=09-01..01-31,year=09-01..06-30"
# (empty: the defaults of abroad.mobility.services.DEFAULT_TERMS).
MOBILITY_TERMS = env("MOBILITY_TERMS", "")

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "abroad <noreply@localhost>")
# An SMTP server that does not answer in this many seconds counts as down (the message is
# tried again later).
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)

# Background work (docs/operator-guide.md, "Background work"): e-mails are queued in the
# database (django-tasks' database backend, no broker) and sent by `python -m abroad
# db_worker`. A message the SMTP server refuses is tried again after MAIL_RETRY_SECONDS, then
# twice that, and so on, MAIL_MAX_ATTEMPTS times in all; then it is marked failed in the
# outbox (/office/outbox/).
TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
MAIL_MAX_ATTEMPTS = envint("MAIL_MAX_ATTEMPTS", 6)
MAIL_RETRY_SECONDS = envint("MAIL_RETRY_SECONDS", 60)
# A message still to send that no task waits for, untouched for this long, is handed to the
# worker again by `python -m abroad run-scheduled`.
MAIL_STRANDED_MINUTES = envint("MAIL_STRANDED_MINUTES", 30)
# The outbox forgets a message sent or failed this many days ago (0: never).
OUTBOX_KEEP_DAYS = envint("OUTBOX_KEEP_DAYS", 180)
# Long imports and exports run as jobs (abroad.core.jobs) in the same worker: their uploads
# and results are kept in JOBS_ROOT (private, never under a public URL), retried
# JOBS_MAX_ATTEMPTS times in all after a crash (JOBS_RETRY_SECONDS, then twice that...), and
# deleted with their job JOBS_KEEP_DAYS after they finished by `run-scheduled`.
JOBS_ROOT = Path(env("JOBS_ROOT", str(DATA_DIR / "jobs")))
JOBS_MAX_ATTEMPTS = envint("JOBS_MAX_ATTEMPTS", 3)
JOBS_RETRY_SECONDS = envint("JOBS_RETRY_SECONDS", 60)
JOBS_KEEP_DAYS = envint("JOBS_KEEP_DAYS", 7)
# A job "running" that nothing touched for this long lost its worker (killed, a restart):
# `run-scheduled` gives it to the worker again, or marks it failed after its last attempt.
JOBS_STALE_MINUTES = envint("JOBS_STALE_MINUTES", 60)
# /health answers 503 when a due task has waited longer than this (the worker is not running),
# or when `python -m abroad run-scheduled` has not run for HEALTH_SCHEDULER_HOURS (0: not
# checked).
HEALTH_QUEUE_MAX_SECONDS = envint("HEALTH_QUEUE_MAX_SECONDS", 900)
HEALTH_SCHEDULER_HOURS = envint("HEALTH_SCHEDULER_HOURS", 26)
# Reminders, sent once each by `python -m abroad run-scheduled` (0 turns one off): a student
# with a draft application this many days before the call closes; a student offered a seat
# and not yet answering this many days before the acceptance deadline.
REMINDER_DRAFT_DAYS = envint("REMINDER_DRAFT_DAYS", 3)
# A student's learning agreement not submitted this many days before the planned start, and a
# transcript entered and not answered by the student after this many days: one reminder each.
REMINDER_LA_DAYS = envint("REMINDER_LA_DAYS", 30)
REMINDER_TRANSCRIPT_DAYS = envint("REMINDER_TRANSCRIPT_DAYS", 7)
# The window for changing the learning agreement (LA_CHANGE_WINDOW_DAYS) closing within this
# many days and no change submitted; the host's acceptance letter not uploaded this many days
# before the planned start; the arrival confirmation missing this many days after it; an
# extension request waiting for the promoter's decision this many days: one reminder each.
REMINDER_CHANGE_WINDOW_DAYS = envint("REMINDER_CHANGE_WINDOW_DAYS", 5)
REMINDER_ACCEPTANCE_LETTER_DAYS = envint("REMINDER_ACCEPTANCE_LETTER_DAYS", 45)
REMINDER_ARRIVAL_DAYS = envint("REMINDER_ARRIVAL_DAYS", 7)
REMINDER_EXTENSION_DAYS = envint("REMINDER_EXTENSION_DAYS", 7)
# The promoters' digest goes from this hour (local time) on, daily or on Mondays.
DIGEST_HOUR = envint("DIGEST_HOUR", 7)
REMINDER_ACCEPTANCE_DAYS = envint("REMINDER_ACCEPTANCE_DAYS", 2)

# HTTPS: behind a proxy that terminates TLS, ABROAD_HTTPS=true redirects plain HTTP, marks the
# cookies secure and sends HSTS; ABROAD_PROXY_SSL_HEADER=true trusts the proxy's
# X-Forwarded-Proto (only when the proxy always sets or strips it).
HTTPS = envbool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", False)
if envbool("PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = envbool("USE_X_FORWARDED_HOST", False)
# Preloading HSTS into browsers is a commitment for the whole domain: the operator's choice,
# so Django's reminder about it is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    SILENCED_SYSTEM_CHECKS.append("security.W005")
SESSION_COOKIE_SECURE = HTTPS or envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A signed-in session ends after this many minutes without a request.
SESSION_COOKIE_AGE = envint("SESSION_IDLE_MINUTES", 120) * 60
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict Content-Security-Policy: no inline script or style, nothing from other origins.
# The map's tile layer is off by default (the country shapes are vendored); an operator who
# sets ABROAD_MAP_TILE_URL also allows its origin for images.
MAP_TILE_URL = env("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", "")
_tile_origins = envlist("MAP_TILE_ORIGINS", [])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_tile_origins],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The home institution: the university that runs this installation (Politecnico di Milano by
# default). Its record is the Institution with this Erasmus code.
HOME_ERASMUS_CODE = env("HOME_ERASMUS_CODE", "I  MILANO02")
SITE_NAME = env("SITE_NAME", "abroad")
# Where people reach this installation: e-mails link to it.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Erasmus Without Paper: the folder holding the official schemas (one folder per EWP
# repository, as docs/ewp.md explains), and the home HEI's id in EWP (its SCHAC code;
# empty: the home institution's SCHAC code from the catalogue).
EWP_SCHEMA_DIR = env("EWP_SCHEMA_DIR", "")
EWP_HEI_ID = env("EWP_HEI_ID", "")
# The EWP node (docs/ewp.md, "The node"): our private keys, as PEM files outside the database
# (`python -m abroad ewp keys` writes them), the registry catalogue's address (empty: no
# network; the EWP DEV registry is https://dev-registry.erasmuswithoutpaper.eu/catalogue-v1.xml)
# and how often it is asked again, the timeout of every call to the network (and the retries
# of calls to partners), the clock skew allowed on signed dates (at least the 5 minutes the
# specification asks), and the address the manifest names for the registry's notices
# (default: the one of DEFAULT_FROM_EMAIL).
EWP_CLIENT_KEY = env("EWP_CLIENT_KEY", str(DATA_DIR / "ewp" / "client-key.pem"))
EWP_SERVER_KEY = env("EWP_SERVER_KEY", str(DATA_DIR / "ewp" / "server-key.pem"))
EWP_REGISTRY_URL = env("EWP_REGISTRY_URL", "")
EWP_REGISTRY_REFRESH_SECONDS = envint("EWP_REGISTRY_REFRESH_SECONDS", 300)
EWP_HTTP_TIMEOUT_SECONDS = envint("EWP_HTTP_TIMEOUT_SECONDS", 30)
# A call to a partner that cannot be reached or answers 502/503/504 is tried again this many
# times, after EWP_HTTP_RETRY_SECONDS, then twice that, and so on.
EWP_HTTP_RETRIES = envint("EWP_HTTP_RETRIES", 2)
EWP_HTTP_RETRY_SECONDS = envint("EWP_HTTP_RETRY_SECONDS", 2)
EWP_CLOCK_SKEW_SECONDS = max(300, envint("EWP_CLOCK_SKEW_SECONDS", 300))
EWP_ADMIN_EMAIL = env("EWP_ADMIN_EMAIL", "")

NINJA_PAGINATION_PER_PAGE = 50
# Kosovo has Erasmus+ institutions (XK in the Commission's list) but no ISO 3166 code yet.
COUNTRIES_OVERRIDE = {"XK": _("Kosovo")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

# Privacy (docs/privacy.md): how long personal data is kept, applied nightly by
# `python -m abroad apply-retention`; 0 turns a rule off.
# Years after a mobility's end before its documents (the legal records too) are deleted.
RETENTION_RECORDS_YEARS = envint("RETENTION_RECORDS_YEARS", 10)
# Months after a document was replaced by a newer one before it is deleted.
RETENTION_REPLACED_DOCUMENTS_MONTHS = envint("RETENTION_REPLACED_DOCUMENTS_MONTHS", 6)
# Years without activity (log-in, application, mobility) before a student is pseudonymised.
RETENTION_INACTIVE_YEARS = envint("RETENTION_INACTIVE_YEARS", 5)
# The most rows one person's data export holds (the audit events included).
PRIVACY_EXPORT_MAX_ROWS = envint("PRIVACY_EXPORT_MAX_ROWS", 20000)

# EWP input bounds ---------------------------------------------------------------------------
# A partner's EWP document is checked against these cheaply, in one streaming pass, before the
# schema validation (whose cost grows much faster than the document with, say, thousands of
# attributes on one element). The defaults are far above what real documents hold (the official
# examples: 2 attributes per element, 261 elements, 10 levels, texts of 1,629 characters; a
# 5 MB file of 700 IIAs: 76,000 elements). ABROAD_EWP_VALIDATION_SECONDS bounds the schema
# validation itself (checked between elements).
EWP_MAX_BYTES = envint("EWP_MAX_BYTES", 5 * 1024 * 1024)
EWP_MAX_ATTRIBUTES = envint("EWP_MAX_ATTRIBUTES", 32)
EWP_MAX_ELEMENTS = envint("EWP_MAX_ELEMENTS", 100_000)
EWP_MAX_DEPTH = envint("EWP_MAX_DEPTH", 32)
EWP_MAX_TEXT_CHARS = envint("EWP_MAX_TEXT_CHARS", 2_000_000)
EWP_VALIDATION_SECONDS = envint("EWP_VALIDATION_SECONDS", 30)
# end of EWP input bounds --------------------------------------------------------------------

# Spreadsheet import bounds
# Every import (web and command line) reads through core.importing.read_table, which refuses
# a file larger than ABROAD_IMPORT_MAX_MB (an XLSX also when its sheets unpack to more than
# ten times that), or with more than ABROAD_IMPORT_MAX_ROWS data rows; a report lists the
# first ABROAD_IMPORT_MAX_ERRORS problems and counts the rest.
IMPORT_MAX_MB = envint("IMPORT_MAX_MB", 20)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 50_000)
IMPORT_MAX_ERRORS = envint("IMPORT_MAX_ERRORS", 200)
# End of spreadsheet import bounds

# The largest request body accepted, in megabytes (uploads included: a document, a spreadsheet
# to import, an EWP file); the proxy in front should refuse larger ones first (nginx:
# client_max_body_size).
MAX_REQUEST_BYTES = (
    envint("MAX_REQUEST_MB", max(DOCUMENT_MAX_MB, IMPORT_MAX_MB, EWP_MAX_BYTES // 1_048_576) + 5)
    * 1_048_576
)

# Single sign-on ------------------------------------------------------------------------------
# The service provider (abroad): its entity id, its key and certificate (requests and
# metadata are signed with them; assertions encrypted for the encryption pair, by default the
# same one).
SAML_ENTITY_ID = env("SAML_ENTITY_ID", f"{SITE_URL}/saml2/metadata/")
SAML_KEY_FILE = env("SAML_KEY_FILE", "")
SAML_CERT_FILE = env("SAML_CERT_FILE", "")
SAML_ENCRYPTION_KEY_FILE = env("SAML_ENCRYPTION_KEY_FILE", "")
SAML_ENCRYPTION_CERT_FILE = env("SAML_ENCRYPTION_CERT_FILE", "")
# The identity providers: metadata files, and/or a federation's aggregate fetched from a URL
# and checked against the federation's signing certificate; fetched again after
# SAML_METADATA_REFRESH_MINUTES.
SAML_IDP_METADATA_FILES = envlist("SAML_IDP_METADATA_FILES", [])
SAML_IDP_METADATA_URL = env("SAML_IDP_METADATA_URL", "")
SAML_IDP_METADATA_CERT = env("SAML_IDP_METADATA_CERT", "")
SAML_METADATA_REFRESH_MINUTES = envint("SAML_METADATA_REFRESH_MINUTES", 60)
SAML_CLOCK_SKEW_SECONDS = envint("SAML_CLOCK_SKEW_SECONDS", 60)
# The attribute map (abroad/identity/attributes.py): the attribute that names the person
# ("nameid": the IdP's persistent NameID), abroad's fields from the others, and the role a new
# account starts with from eduPersonAffiliation (never office or admin: the office decides).
SAML_USERNAME_ATTRIBUTE = env("SAML_USERNAME_ATTRIBUTE", "eduPersonPrincipalName")
SAML_ATTRIBUTE_MAP = {
    "email": "mail",
    "first_name": "givenName",
    "last_name": "sn",
    "student_number": "schacPersonalUniqueCode",
    "affiliation": "eduPersonAffiliation",
    **dict(pair.split("=", 1) for pair in envlist("SAML_ATTRIBUTE_MAP", []) if "=" in pair),
}
SAML_AFFILIATION_ROLES = dict(
    pair.split("=", 1)
    for pair in envlist("SAML_AFFILIATION_ROLES", ["faculty=promoter", "student=student"])
    if "=" in pair
)
if set(SAML_AFFILIATION_ROLES.values()) - {"student", "promoter"}:
    raise ImproperlyConfigured(
        "ABROAD_SAML_AFFILIATION_ROLES gives only student or promoter: the office grants "
        "office and admin."
    )
# djangosaml2's own settings, from the ones above.
SAML_CONFIG_LOADER = "abroad.identity.config.sp_config"
SAML_ACS_FAILURE_RESPONSE_FUNCTION = "abroad.identity.views.refused"
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_LOGOUT_REQUEST_PREFERRED_BINDING = SAML_DEFAULT_BINDING
SAML_SESSION_COOKIE_NAME = "abroad_saml"
# The IdP's answer comes back as a cross-site POST: the cookie keeping the pending request
# must travel with it (SameSite=None needs secure cookies, i.e. HTTPS).
SAML_SESSION_COOKIE_SAMESITE = "None" if HTTPS or envbool("SECURE_COOKIES", False) else "Lax"
SAML_IGNORE_AUTHENTICATED_USERS_ON_LOGIN = True
# OpenID Connect (abroad/identity/oidc.py, mozilla-django-oidc): one provider, named on the
# log-in page ("Sign in with MyAcademicID"). Its endpoints come from its discovery document
# (ABROAD_OIDC_ISSUER + /.well-known/openid-configuration) unless given one by one; ID tokens
# must be signed with the provider's key from its JWKS (RS256 by default, never a shared
# secret) for this client, by this issuer, with this log-in's nonce, and not expired.
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", "")
OIDC_ISSUER = env("OIDC_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env("OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_JWKS_ENDPOINT", "")
OIDC_OP_END_SESSION_ENDPOINT = env("OIDC_END_SESSION_ENDPOINT", "")
OIDC_DISCOVERY_REFRESH_MINUTES = envint("OIDC_DISCOVERY_REFRESH_MINUTES", 60)
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = " ".join(envlist("OIDC_SCOPES", ["openid", "profile", "email"]))
OIDC_RP_SIGN_ALGO = env("OIDC_SIGNING_ALGORITHM", "RS256")
if OIDC_RP_SIGN_ALGO[:2] not in {"RS", "PS", "ES"}:
    raise ImproperlyConfigured(
        "ABROAD_OIDC_SIGNING_ALGORITHM: RS256 (or another signature with the provider's "
        "public key: RS384, RS512, PS256, ES256); a shared secret (HS256) is refused."
    )
OIDC_USE_PKCE = True
OIDC_CLOCK_SKEW_SECONDS = envint("OIDC_CLOCK_SKEW_SECONDS", 60)
OIDC_TIMEOUT = envint("OIDC_TIMEOUT_SECONDS", 20)
# The claims, through the same map as SAML's attributes (abroad/identity/attributes.py): the
# claim naming the person ("sub" by default), made "<value>@<OIDC_USERNAME_SCOPE>" (the
# issuer's host name unless set; "-" for none) so that two providers' names never collide.
OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM", "sub")
OIDC_USERNAME_SCOPE = env("OIDC_USERNAME_SCOPE", "")
OIDC_CLAIM_MAP = {
    "email": "email",
    "first_name": "given_name",
    "last_name": "family_name",
    "student_number": "schac_personal_unique_code",
    "affiliation": "eduperson_affiliation",
    **dict(pair.split("=", 1) for pair in envlist("OIDC_CLAIM_MAP", []) if "=" in pair),
}
OIDC_AFFILIATION_ROLES = dict(
    pair.split("=", 1)
    for pair in envlist("OIDC_AFFILIATION_ROLES", ["faculty=promoter", "student=student"])
    if "=" in pair
)
if set(OIDC_AFFILIATION_ROLES.values()) - {"student", "promoter"}:
    raise ImproperlyConfigured(
        "ABROAD_OIDC_AFFILIATION_ROLES gives only student or promoter: the office grants "
        "office and admin."
    )
# SPID and CIE (abroad/identity/spid.py): SAML profiles of their own, each with its entity id,
# metadata (signed, with the SPID/CIE extensions), identity providers (the AgID registry for
# SPID; the Ministry of the Interior's for CIE) and level. The person is linked by her fiscal
# code (fiscalNumber) to the account holding it. The organisation's data are shared.
SPID_KEY_FILE = env("SPID_KEY_FILE", SAML_KEY_FILE)
SPID_CERT_FILE = env("SPID_CERT_FILE", SAML_CERT_FILE)
SPID_ORGANIZATION_NAME = env("SPID_ORGANIZATION_NAME", SITE_NAME)
SPID_ORGANIZATION_DISPLAY_NAME = env("SPID_ORGANIZATION_DISPLAY_NAME", SPID_ORGANIZATION_NAME)
SPID_ORGANIZATION_URL = env("SPID_ORGANIZATION_URL", SITE_URL)
SPID_IPA_CODE = env("SPID_IPA_CODE", "")
SPID_VAT_NUMBER = env("SPID_VAT_NUMBER", "")
SPID_FISCAL_CODE = env("SPID_FISCAL_CODE", "")
SPID_CONTACT_EMAIL = env("SPID_CONTACT_EMAIL", "")
SPID_CONTACT_PHONE = env("SPID_CONTACT_PHONE", "")
SPID_MUNICIPALITY = env("SPID_MUNICIPALITY", "")  # ISTAT code of the seat, for CIE
SPID_ENTITY_ID = env("SPID_ENTITY_ID", f"{SITE_URL}/spid/metadata/")
SPID_IDP_METADATA_FILES = envlist("SPID_IDP_METADATA_FILES", [])
SPID_IDP_METADATA_URL = env("SPID_IDP_METADATA_URL", "")
SPID_IDP_METADATA_CERT = env("SPID_IDP_METADATA_CERT", "")
SPID_LEVEL = envint("SPID_LEVEL", 2)
CIE_ENTITY_ID = env("CIE_ENTITY_ID", f"{SITE_URL}/cie/metadata/")
CIE_IDP_METADATA_FILES = envlist("CIE_IDP_METADATA_FILES", [])
CIE_IDP_METADATA_URL = env("CIE_IDP_METADATA_URL", "")
CIE_IDP_METADATA_CERT = env("CIE_IDP_METADATA_CERT", "")
CIE_LEVEL = envint("CIE_LEVEL", 2)
if {SPID_LEVEL, CIE_LEVEL} - {1, 2, 3}:
    raise ImproperlyConfigured("ABROAD_SPID_LEVEL and ABROAD_CIE_LEVEL are 1, 2 or 3.")
# end of single sign-on -------------------------------------------------------------------
