from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelectionConfig(AppConfig):
    name = "abroad.selection"
    label = "selection"
    verbose_name = _("Calls and selection")

    def ready(self) -> None:
        # the ranking's and the nominations' exports run in the background worker
        from abroad.selection import jobs

        jobs.register()
