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

        from django.db.models.signals import post_delete

        from abroad.core import jobs
        from abroad.core.models import Job

        # long imports and exports: jobs whose task was lost, and the old ones with their files
        scheduled.register("core.jobs", jobs.requeue_stranded)
        scheduled.register("core.jobs_prune", jobs.prune)
        scheduled.register("core.jobs_stale", jobs.recover_stale)
        post_delete.connect(jobs.files_deleted, sender=Job, dispatch_uid="abroad.core.job_files")
