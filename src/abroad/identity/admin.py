from django.contrib import admin

from abroad.core.admin import AuditedModelAdmin
from abroad.identity.models import FederatedIdentity


@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(AuditedModelAdmin):
    """The office links an existing account to a person's name at an identity provider (an
    account abroad did not create itself is never taken over by single sign-on). Linking is an
    administrator's act: it hands the account to whoever holds that name at the provider."""

    list_display = ("subject", "issuer", "protocol", "user", "created_at", "last_login")
    search_fields = ("subject", "user__username", "user__last_name", "user__student_number")
    list_filter = ("protocol", "issuer")
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "last_login")
