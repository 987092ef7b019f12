from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatisticsConfig(AppConfig):
    name = "abroad.reporting"
    label = "statistics"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        # the IFS02.5 export runs in the background worker
        from abroad.reporting import jobs

        jobs.register()
