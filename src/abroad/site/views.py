from django.contrib.auth import views as auth_views
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from abroad.catalogue import queries
from abroad.catalogue.models import CourseOfStudy, Institution
from abroad.core.cache import public_page
from abroad.site.password_reset import PasswordResetForm


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
    """Django's password reset, its e-mail queued in the outbox and sent by the background
    worker (:mod:`abroad.site.password_reset`): the link built on ``SITE_URL`` (never the
    request's Host header), named with ``SITE_NAME``, in the reader's language."""

    form_class = PasswordResetForm
