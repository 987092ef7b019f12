from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "abroad.catalogue"
    label = "catalogue"
    verbose_name = _("Agreements catalogue")

    def ready(self) -> None:
        # A change of anything a public page shows makes the cached pages stale.
        from abroad.catalogue import signals

        signals.connect(self)

        # the agreements import runs in the background worker
        from abroad.catalogue import jobs

        jobs.register()
