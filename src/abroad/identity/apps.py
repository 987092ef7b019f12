from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "abroad.identity"
    label = "identity"
    verbose_name = _("Single sign-on")

    def ready(self) -> None:
        from abroad.identity import checks  # noqa: F401 (registers the check)
