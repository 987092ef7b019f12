from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The top floor: the home page, the demo command and the demo data of every app."""

    name = "abroad.site"
    label = "site"
    verbose_name = "Site"
