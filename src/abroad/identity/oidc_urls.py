"""The OpenID Connect routes, under /oidc/ (routed only when ``ABROAD_LOGIN_METHODS`` names
oidc). The callback's name is mozilla-django-oidc's, which it reverses for the redirect URI."""

from django.urls import path

from abroad.identity import oidc_views

urlpatterns = [
    path("login/", oidc_views.LoginView.as_view(), name="oidc_authentication_init"),
    path("callback/", oidc_views.CallbackView.as_view(), name="oidc_authentication_callback"),
]
