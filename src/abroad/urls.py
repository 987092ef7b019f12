from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from abroad.api.api import api
from abroad.core import jobs_views
from abroad.site import health as site_health
from abroad.site import outbox as site_outbox
from abroad.site import preferences as site_preferences
from abroad.site import views as site_views

admin.site.site_header = _("abroad · mobility office")
admin.site.site_title = _("abroad office")
admin.site.index_title = _("Catalogue, people and audit log")

urlpatterns = [
    path("", site_views.home, name="home"),
    path("", include("abroad.catalogue.urls")),
    path("calls/", include("abroad.selection.urls")),
    path("mobility/", include("abroad.mobility.urls")),
    path("recognition/", include("abroad.recognition.urls")),
    path("grants/", include("abroad.grants.urls")),
    path("networks/", include("abroad.networks.urls")),
    path("ewp/", include("abroad.ewp.urls")),
    path("privacy/", include("abroad.privacy.urls")),
    path("statistics/", include("abroad.reporting.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("office/admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url=static_url("abroad/favicon.svg"), permanent=True)),
    path("health", site_health.health, name="health"),
    path("office/outbox/", site_outbox.outbox, name="outbox"),
    path("jobs/<uuid:pk>/", jobs_views.job_page, name="job"),
    path("jobs/<uuid:pk>/file", jobs_views.job_file, name="job_file"),
    path("accounts/preferences/", site_preferences.preferences, name="preferences"),
]
if "local" in settings.LOGIN_METHODS:
    # Passwords: changed by their owner, reset by e-mail (never for an account without one:
    # Django sends nothing to a single sign-on account). The link is built on SITE_URL, not
    # on the request's Host (site.views.PasswordResetView).
    password_views = (
        ("password_change/", auth_views.PasswordChangeView, "password_change"),
        ("password_change/done/", auth_views.PasswordChangeDoneView, "password_change_done"),
        ("password_reset/", site_views.PasswordResetView, "password_reset"),
        ("password_reset/done/", auth_views.PasswordResetDoneView, "password_reset_done"),
        ("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView, "password_reset_confirm"),
        ("reset/done/", auth_views.PasswordResetCompleteView, "password_reset_complete"),
    )
    urlpatterns += [
        path(f"accounts/{route}", view.as_view(), name=name) for route, view, name in password_views
    ]
if "saml" in settings.LOGIN_METHODS:
    # SAML single sign-on; its log-out ends the identity provider's session too.
    from abroad.identity import views as identity_views

    urlpatterns[:0] = [path("accounts/logout/", identity_views.logout, name="logout")]
    urlpatterns.append(path("saml2/", include("abroad.identity.urls")))
if "oidc" in settings.LOGIN_METHODS:
    # OpenID Connect; its log-out ends the provider's session too (and a SAML one as SAML's).
    from abroad.identity import oidc_views

    urlpatterns[:0] = [path("accounts/logout/", oidc_views.logout, name="logout")]
    urlpatterns.append(path("oidc/", include("abroad.identity.oidc_urls")))
italian_identities = [name for name in ("spid", "cie") if name in settings.LOGIN_METHODS]
if italian_identities:
    # SPID and CIE: SAML profiles of their own (abroad/identity/spid.py); their log-out ends
    # a SPID/CIE session at its identity provider too (and any other as its own way in).
    from abroad.identity import spid_urls, spid_views

    urlpatterns[:0] = [path("accounts/logout/", spid_views.logout, name="logout")]
    for italian_identity in italian_identities:
        urlpatterns.append(
            path(f"{italian_identity}/", include(spid_urls.patterns(italian_identity)))
        )
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
