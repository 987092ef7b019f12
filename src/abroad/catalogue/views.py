from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from abroad.catalogue import queries
from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.forms import OfferFilterForm
from abroad.catalogue.models import (
    Agreement,
    Contact,
    CourseOfStudy,
    Institution,
    Network,
    Offer,
    Promoter,
    School,
    display_name_key,
)
from abroad.core.cache import public_page
from abroad.core.enums import Language, choice_labels
from abroad.core.importing import write_table

PAGE_SIZE = 25
INFO_PAGES = ("short-mobility", "double-degree", "networks", "erasmus", "athens")


def _filters(request: HttpRequest) -> tuple[OfferFilterForm, queries.OfferFilter]:
    form = OfferFilterForm(request.GET or None)
    return form, form.to_filter() if request.GET else queries.OfferFilter()


def _active_filters(wanted: queries.OfferFilter) -> int:
    return sum(
        1 for name, value in vars(wanted).items() if name != "sort" and value not in ("", None)
    )


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@dataclass(frozen=True, slots=True)
class OfferRow:
    """An offer as the catalogue's table and its CSV name it."""

    offer: Offer
    agreement: Agreement
    partner: Institution
    country: str
    programme: str
    mobility_type: str
    language: str


def _labelled(offers: Iterable[Offer]) -> Iterator[OfferRow]:
    """``offers`` (with their agreements and partners joined) with their labels, each list of
    labels made once (a model's ``get_FOO_display`` translates every choice of its field at
    each call, and a country's ``name`` goes through every translated country name)."""
    countries = queries.country_names()
    programmes = choice_labels(Programme)
    types = choice_labels(MobilityType)
    languages = choice_labels(Language)
    for offer in offers:
        agreement = offer.agreement
        partner = agreement.partner
        yield OfferRow(
            offer=offer,
            agreement=agreement,
            partner=partner,
            country=countries.get(partner.country.code, ""),
            programme=programmes.get(agreement.programme, agreement.programme),
            mobility_type=types.get(offer.mobility_type, offer.mobility_type),
            language=languages.get(offer.language, offer.language),
        )


@require_GET
@public_page
def offer_list(request: HttpRequest) -> HttpResponse:
    """The public catalogue: every offer open to students, filtered from the URL."""
    form, wanted = _filters(request)
    paginator = Paginator(queries.catalogue_page(wanted), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "wanted": wanted,
        "active_filters": _active_filters(wanted),
        "page": page,
        "rows": list(_labelled(page.object_list)),
        "query": _query_without_page(request),
        "selected_course": (
            CourseOfStudy.objects.filter(code=wanted.course).first() if wanted.course else None
        ),
    }
    template = "catalogue/offer_list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


@require_GET
@public_page
def offer_export(request: HttpRequest) -> HttpResponse:
    """The filtered catalogue as CSV, for those who live in spreadsheets: labels in the
    reader's language (programme, mobility type, country, language), UTF-8 with a byte-order
    mark so that Excel reads it right."""
    _form, wanted = _filters(request)
    columns = [
        _("Agreement"),
        _("Institution"),
        _("Erasmus code"),
        _("City"),
        _("Country"),
        _("Programme"),
        _("Mobility type"),
        _("Levels"),
        _("ISCED-F"),
        _("Seats"),
        _("Months"),
        _("Extendable"),
        _("Language"),
        _("Level"),
    ]

    def rows() -> Iterator[dict[str, Any]]:
        for row in _labelled(queries.catalogue_page(wanted)):
            offer, partner = row.offer, row.partner
            values = [
                row.agreement.code,
                partner.display_name,
                partner.erasmus_code or "",
                partner.city,
                row.country,
                row.programme,
                row.mobility_type,
                " ".join(str(level) for level in offer.eqf_levels),
                offer.isced_code,
                offer.seats,
                offer.months,
                _("yes") if offer.extendable else _("no"),
                row.language,
                offer.language_level,
            ]
            yield dict(zip(columns, values, strict=True))

    buffer = io.BytesIO()
    write_table(buffer, columns=columns, rows=rows(), fmt="csv")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="destinations.csv"'
    return response


@require_GET
@public_page
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offers = Offer.objects.prefetch_related(
        Prefetch("courses", queryset=CourseOfStudy.objects.select_related("school"))
    )
    agreement = get_object_or_404(
        queries.visible_agreements(request.user)
        .select_related("partner", "network", "promoter__user", "promoter__school")
        .prefetch_related(Prefetch("offers", queryset=offers)),
        pk=pk,
    )
    return render(
        request,
        "catalogue/agreement_detail.html",
        {
            "agreement": agreement,
            "partner": agreement.partner,
            "networks": agreement.partner.networks.all(),
            "other_agreements": queries.visible_agreements(request.user)
            .filter(partner=agreement.partner)
            .exclude(pk=agreement.pk),
        },
    )


@require_GET
@public_page
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = get_object_or_404(Institution, pk=pk)
    agreements = (
        queries.visible_agreements(request.user)
        .filter(partner=institution)
        .select_related("network", "promoter__user")
        .prefetch_related("offers")
    )
    if not institution.is_home and not agreements:
        raise Http404
    return render(
        request,
        "catalogue/institution_detail.html",
        {
            "institution": institution,
            "agreements": agreements,
            "networks": institution.networks.all(),
        },
    )


@require_GET
@public_page
def map_view(request: HttpRequest) -> HttpResponse:
    form, wanted = _filters(request)
    from django.conf import settings

    return render(
        request,
        "catalogue/map.html",
        {
            "form": form,
            "wanted": wanted,
            "active_filters": _active_filters(wanted),
            "query": _query_without_page(request),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


def _url_pattern(name: str) -> str:
    """The URL of ``name`` with ``{}`` where the pk goes: reverse() once, not per row."""
    marker = 987654321
    return reverse(name, kwargs={"pk": marker}).replace(str(marker), "{}")


@require_GET
@public_page
def map_data(request: HttpRequest) -> JsonResponse:
    _form, wanted = _filters(request)
    points = queries.map_points(wanted)
    institution_url = _url_pattern("catalogue:institution")
    agreement_url = _url_pattern("catalogue:agreement")
    facts: dict[tuple[int, int], str] = {}  # many points say the same: worded once each
    for point in points:
        point["url"] = institution_url.format(point["id"])
        # what the popup says under the name, in the reader's language and plural forms
        counts = (point["offers"], point["seats"] or 0)
        if counts not in facts:
            facts[counts] = " · ".join(
                (
                    ngettext("%(count)d offer", "%(count)d offers", counts[0])
                    % {"count": counts[0]},
                    ngettext("%(count)d seat", "%(count)d seats", counts[1]) % {"count": counts[1]},
                )
            )
        point["facts"] = facts[counts]
        for agreement in point["agreements"]:
            agreement["url"] = agreement_url.format(agreement["id"])
    return JsonResponse({"points": points, "count": len(points)})


@require_GET
@public_page
def contacts(request: HttpRequest) -> HttpResponse:
    """The International Mobility Unit and the promoting Schools and teachers."""
    schools = School.objects.prefetch_related(
        Prefetch(
            "courses",
            queryset=CourseOfStudy.objects.prefetch_related(
                Prefetch("coordinators", queryset=Promoter.objects.select_related("user"))
            ),
        ),
        Prefetch("contacts", queryset=Contact.objects.all()),
    )
    site_promoters = (
        Promoter.objects.filter(agreements__status__in=AgreementStatus.public_states())
        .select_related("user", "school")
        .prefetch_related(
            Prefetch(
                "agreements",
                queryset=queries.public_agreements()
                .select_related("partner")
                .order_by(display_name_key("partner__"), "partner__name"),
            )
        )
        .distinct()
    )
    return render(
        request,
        "catalogue/contacts.html",
        {
            "office_contacts": Contact.objects.filter(school__isnull=True),
            "schools": schools,
            "site_promoters": site_promoters,
        },
    )


@require_GET
@public_page
def info(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in INFO_PAGES:
        raise Http404
    template_name = f"catalogue/info/{slug}.html"
    try:
        get_template(template_name)
    except TemplateDoesNotExist:
        raise Http404 from None
    networks = Network.objects.prefetch_related("members") if slug in ("networks", "athens") else []
    return render(
        request,
        template_name,
        {"slug": slug, "pages": INFO_PAGES, "networks": networks},
    )
