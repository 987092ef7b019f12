from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "abroad.grants"
    verbose_name = _("Grants")

    def ready(self) -> None:
        from abroad.grants import signals
        from abroad.grants.timeline import grant_step
        from abroad.mobility.timeline import register

        register(grant_step)
        signals.connect()

        # the rates import and the payments export run in the background worker
        from abroad.grants import jobs

        jobs.register()
