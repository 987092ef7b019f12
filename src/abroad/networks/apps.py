"""Network mobility: ATHENS sessions and course choices, the Alliance4Tech certificate,
double degrees."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "abroad.networks"
    verbose_name = _("Networks and double degrees")

    def ready(self) -> None:
        from abroad.mobility.timeline import register
        from abroad.networks.timeline import certificate_step, double_degree_step

        register(certificate_step)
        register(double_degree_step)

        # the courses import runs in the background worker
        from abroad.networks import jobs

        jobs.register()
