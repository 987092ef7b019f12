from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionConfig(AppConfig):
    name = "abroad.recognition"
    verbose_name = _("Recognition")

    def ready(self) -> None:
        from abroad.mobility.timeline import register
        from abroad.recognition.timeline import recognition_step

        register(recognition_step)

        # the registrar's export runs in the background worker
        from abroad.recognition import jobs

        jobs.register()
