from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EwpConfig(AppConfig):
    name = "abroad.ewp"
    verbose_name = _("Erasmus Without Paper")
