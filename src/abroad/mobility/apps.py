from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MobilityConfig(AppConfig):
    name = "abroad.mobility"
    label = "mobility"
    verbose_name = _("Mobility")

    def ready(self) -> None:
        # the office's list as CSV runs in the background worker
        from abroad.mobility import jobs

        jobs.register()
