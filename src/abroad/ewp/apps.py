from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EwpConfig(AppConfig):
    name = "abroad.ewp"
    verbose_name = _("Erasmus Without Paper")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from abroad.catalogue.models import Agreement
        from abroad.core import scheduled
        from abroad.ewp.network import cnr, la_cnr
        from abroad.mobility.models import LearningAgreement

        # a change notifies the partner in the background (debounced: abroad.ewp.tasks)
        post_save.connect(cnr.agreement_saved, sender=Agreement, dispatch_uid="ewp.iia_cnr")
        post_save.connect(
            la_cnr.learning_agreement_saved, sender=LearningAgreement, dispatch_uid="ewp.la_cnr"
        )
        # notifications whose task was lost are handed to the worker again
        scheduled.register("ewp.cnrs", cnr.sweep)
