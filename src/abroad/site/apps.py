from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The top floor: the home page, the demo command and the demo data of every app."""

    name = "abroad.site"
    label = "site"
    verbose_name = "Site"

    def ready(self) -> None:
        # the receiver that sets a person's language at the first log-in
        from abroad.core import mail, scheduled
        from abroad.mobility.reminders import (
            remind_change_windows,
            remind_documents,
            remind_extensions,
            remind_learning_agreements,
        )
        from abroad.recognition.reminders import remind_transcripts
        from abroad.selection.reminders import send_reminders
        from abroad.site import preferences  # noqa: F401
        from abroad.site.digest import send_digests

        # the jobs of `python -m abroad run-scheduled`
        scheduled.register("selection.reminders", send_reminders)
        scheduled.register("site.digest", send_digests)
        scheduled.register("mobility.reminders", remind_learning_agreements)
        scheduled.register("mobility.change_window", remind_change_windows)
        scheduled.register("mobility.documents", remind_documents)
        scheduled.register("mobility.extensions", remind_extensions)
        scheduled.register("recognition.reminders", remind_transcripts)
        # the digest is the one e-mail its readers may turn off (List-Unsubscribe)
        mail.optional("site/email/digest", "preferences")
