from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "abroad.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from abroad.core.middleware import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="abroad.core.idle_clock")

        from abroad.core import mail, scheduled

        # e-mails whose task was lost are handed to the worker again
        scheduled.register("core.outbox", mail.requeue_stranded)
        # and the old ones deleted (they hold addresses)
        scheduled.register("core.outbox_prune", mail.prune)
