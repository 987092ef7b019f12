"""Which identity provider vouches for which account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Protocol(models.TextChoices):
    SAML = "saml", _("SAML 2")
    OIDC = "oidc", _("OpenID Connect")
    SPID = "spid", _("SPID")
    CIE = "cie", _("CIE (electronic identity card)")


class FederatedIdentity(models.Model):
    """An account's name at an identity provider. A person who signs in through single sign-on
    is the account linked here; abroad links new accounts itself and never an existing local
    one: the office links those (docs/operator-guide.md, "Linking accounts")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="federated_identities",
    )
    protocol = models.CharField(
        _("protocol"), max_length=4, choices=Protocol.choices, default=Protocol.SAML
    )
    issuer = models.CharField(
        _("identity provider"),
        max_length=255,
        help_text=_("The SAML entity id, or the OpenID Connect issuer URL."),
    )
    subject = models.CharField(
        _("name at the identity provider"),
        max_length=255,
        help_text=_(
            "The eduPersonPrincipalName or persistent NameID a SAML provider sends; for "
            "OpenID Connect, the username claim scoped by the provider (sub@issuer's host)."
        ),
    )
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)
    last_login = models.DateTimeField(_("last log-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("federated identity")
        verbose_name_plural = _("federated identities")
        constraints = [
            models.UniqueConstraint(fields=("issuer", "subject"), name="identity_subject_once")
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.issuer})"
