from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from abroad.catalogue import queries
from abroad.catalogue.models import CourseOfStudy, Institution
from abroad.core.cache import public_page


@public_page
def home(request: HttpRequest) -> HttpResponse:
    offers = queries.public_offers()
    stats = offers.aggregate(
        offers=Count("id", distinct=True),
        partners=Count("agreement__partner", distinct=True),
        countries=Count("agreement__partner__country", distinct=True),
    )
    return render(
        request,
        "site/home.html",
        {
            "home": Institution.objects.filter(is_home=True).first(),
            "courses": CourseOfStudy.objects.select_related("school"),
            "stats": stats,
        },
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, its link built on ``SITE_URL`` (read at each request, never the
    request's Host header) and named with ``SITE_NAME``."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        self.extra_email_context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
        return super().form_valid(form)
