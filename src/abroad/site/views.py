from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from abroad.catalogue import queries
from abroad.catalogue.models import CourseOfStudy, Institution


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
