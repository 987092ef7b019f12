"""The EWP pages: downloads of our documents as EWP XML (an agreement's IIA, a learning
agreement, one or many nominations), an agreement's EWP identity, and the office's inbox where
partners' documents are uploaded, compared and accepted or discarded.

The views only call :mod:`abroad.ewp.services`; who may do what is in :mod:`abroad.ewp.rules`.
An anonymous visitor is sent to log in; somebody who may not see a learning agreement gets a
404 (as on its own pages), and so does anybody else on the office's pages
(:func:`abroad.core.permissions.office_page`). A document that cannot
be made (an :class:`EwpError`) is a message on the page the link came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abroad.catalogue.models import Agreement, Institution
from abroad.core.permissions import can, office_page, visible_or_404
from abroad.ewp import services
from abroad.ewp.forms import AcceptForm, UploadForm
from abroad.ewp.models import Inbound, PendingCnr, SentCnr
from abroad.ewp.network import approval, registry
from abroad.ewp.xml import EwpError
from abroad.mobility.models import Mobility
from abroad.people.models import User

# ---------------------------------------------------------------------------- helpers


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def xml_response(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def safe_name(text: str) -> str:
    """A file-name part from an agreement reference: "E+ NL DELFT01" -> "E-NL-DELFT01"."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "document"


def _agreements() -> QuerySet[Agreement]:
    return Agreement.objects.select_related("partner").prefetch_related("offers")


def _mobility(request: HttpRequest, pk: int) -> Mobility:
    """The mobility, if the user may download its learning agreement; 404 otherwise."""
    mobility = get_object_or_404(
        Mobility.objects.select_related(
            "student__course_of_study", "host", "offer__agreement__partner"
        ).prefetch_related("student__course_of_study__coordinators"),
        pk=pk,
    )
    return visible_or_404(request.user, "ewp.download_la", mobility)


# -------------------------------------------------------------------------- agreements


@office_page("ewp.download_iia")
@require_GET
def agreement_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The agreement as an IIA v7 get-response (office and promoters)."""
    agreement = get_object_or_404(_agreements(), pk=pk)
    try:
        data = services.export_iia(agreement)
    except EwpError as error:
        messages.error(request, str(error))
        if can(request.user, "ewp.view_agreement"):
            return redirect("ewp:agreement", pk=agreement.pk)
        return redirect("catalogue:agreement", pk=agreement.pk)
    return xml_response(data, f"iia-{safe_name(agreement.code)}.xml")


def partner_path(hei_id: str) -> str:
    """How the office exchanges with a partner: "network" (a node of the EWP network serves
    it, as the registry catalogue we hold says), "files" (none does: PDF and EWP files), or
    "unknown" (no catalogue read yet, or no SCHAC code)."""
    held = registry.stored() if hei_id else None
    if held is None:
        return "unknown"
    return "network" if held.covers(hei_id) else "files"


@office_page("ewp.view_agreement")
@require_GET
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Our iia-id, what we know of the partner's copy, the approval readiness (our hash, the
    partner's, who approved which, how the copies differ), the copies received."""
    agreement = get_object_or_404(_agreements().select_related("ewp", "ewp_approval"), pk=pk)
    link = services.known_iia_link(agreement)  # a GET writes nothing
    ready = approval.readiness(agreement, link)
    our_hash, problem = ready.our_hash, ready.problem
    received = Inbound.objects.filter(agreement=agreement, kind=Inbound.Kind.IIA).select_related(
        "received_by"
    )
    return render(
        request,
        "ewp/agreement.html",
        {
            "agreement": agreement,
            "path": partner_path(agreement.partner.schac_code or ""),
            "link": link,
            "our_hash": our_hash,
            "problem": problem,
            "ready": ready,
            "received": received,
        },
    )


# ----------------------------------------------------------------- learning agreements


@login_required
@require_GET
def la_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The mobility's learning agreement as an OMobility LA v1.2 get-response."""
    mobility = _mobility(request, pk)
    try:
        data = services.export_la(mobility)
    except EwpError as error:
        messages.error(request, str(error))
        return redirect("mobility:la", pk=mobility.pk)
    return xml_response(data, f"la-{mobility.pk}.xml")


# -------------------------------------------------------------------------- nominations


@office_page("ewp.exchange")
@require_GET
def nomination_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """One mobility's nomination as an OMobilities v2 get-response (office)."""
    mobility = get_object_or_404(services.nomination_queryset(), pk=pk)
    try:
        exported = services.export_nominations([mobility])
    except EwpError as error:
        messages.error(request, str(error))
        return redirect("mobility:office_mobility", pk=mobility.pk)
    if exported.left_out:
        messages.error(request, exported.left_out[0])
        return redirect("mobility:office_mobility", pk=mobility.pk)
    return xml_response(exported.data, f"nomination-{mobility.pk}.xml")


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(name)
    return int(value)


@office_page("ewp.exchange")
@require_GET
def nominations_xml(request: HttpRequest) -> HttpResponse:
    """The nominations of an academic year (``?year=2027``), of one host (``&host=<id>``)."""
    try:
        year = _int_param(request, "year")
        host_id = _int_param(request, "host")
    except ValueError as error:
        return HttpResponseBadRequest(_("“%(name)s” must be a number.") % {"name": error})
    host = get_object_or_404(Institution, pk=host_id) if host_id is not None else None
    try:
        exported = services.export_nominations(services.nomination_queryset(year, host))
    except EwpError as error:
        messages.error(request, str(error))
        return redirect("ewp:inbox")
    # The file downloads; the office reads what it left out on its next page.
    for reason in exported.left_out:
        messages.warning(
            request, _("Left out of the nominations file: %(reason)s") % {"reason": reason}
        )
    parts = ["nominations", str(year or "all"), host.schac_code or str(host.pk) if host else ""]
    return xml_response(exported.data, f"{safe_name('-'.join(p for p in parts if p))}.xml")


# ------------------------------------------------------------------------------- inbox


def receive(kind: str, data: bytes, file_name: str, actor: User | None) -> list[Inbound]:
    """Hand a partner's document to the service of its kind (EwpError when refused whole)."""
    if kind == Inbound.Kind.IIA:
        return services.receive_iias(data=data, file_name=file_name, actor=actor)
    if kind == Inbound.Kind.LA_UPDATE:
        return [services.apply_la_update(data=data, file_name=file_name, actor=actor)]
    return services.import_tors(data=data, file_name=file_name, actor=actor)


def _inbox_list() -> QuerySet[Inbound]:
    return Inbound.objects.select_related(
        "agreement", "mobility__student", "mobility__host", "received_by"
    ).order_by("-received_at", "-pk")


INBOX_LIMIT = 200
NOTICE_LIMIT = 50  # the latest change notifications shown each way


@office_page("ewp.exchange")
@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    """Upload a partner's document; every document received, with what became of it."""
    user = _user(request)
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                received = receive(form.cleaned_data["kind"], upload.read(), upload.name, user)
            except EwpError as error:
                form.add_error("file", str(error))
            else:
                for one in received:
                    text = f"{one.summary}: {one.get_state_display()}"
                    if one.message:
                        text += f" ({one.message})"
                    level = messages.ERROR if one.state == Inbound.State.REFUSED else messages.INFO
                    messages.add_message(request, level, text)
                if len(received) == 1 and received[0].state == Inbound.State.PENDING:
                    return redirect("ewp:inbound", pk=received[0].pk)
                return redirect("ewp:inbox")
    documents = list(_inbox_list()[:INBOX_LIMIT])
    years = sorted(
        set(Mobility.objects.values_list("academic_year", flat=True).distinct()), reverse=True
    )
    hosts = Institution.objects.filter(pk__in=Mobility.objects.values("host_id")).order_by(
        "name"
    )  # a semi-join: no DISTINCT over a join
    return render(
        request,
        "ewp/inbox.html",
        {
            "form": form,
            "documents": documents,
            "limit": INBOX_LIMIT,
            "years": [(y, f"{y}/{y + 1}") for y in years],
            "hosts": hosts,
            # The EWP network's change notifications: what partners told us, what we told them.
            "received_cnrs": list(PendingCnr.objects.order_by("-received_at")[:NOTICE_LIMIT]),
            "sent_cnrs": list(
                SentCnr.objects.select_related("agreement", "mobility__student").order_by(
                    "-sent_at"
                )[:NOTICE_LIMIT]
            ),
        },
        status=400 if form.errors else 200,
    )


@dataclass
class Hashes:
    declared: str
    computed: str

    @property
    def match(self) -> bool:
        return self.declared == self.computed


def _inbound(pk: int) -> Inbound:
    return get_object_or_404(
        Inbound.objects.select_related(
            "agreement__partner", "mobility__student", "received_by", "source"
        ),
        pk=pk,
    )


@office_page("ewp.exchange")
@require_GET
def inbound(request: HttpRequest, pk: int) -> HttpResponse:
    """A received document; for an IIA waiting for the office, the differences from our
    agreement (the matched one, or the one picked with ``?agreement=<pk>``) and the choice."""
    document = _inbound(pk)
    context: dict[str, Any] = {"document": document}
    try:
        context["received_text"] = services.inbound_text(document)
    except EwpError as error:
        context["received_text"] = document.source.text
        context["problem"] = str(error)
    if document.kind == Inbound.Kind.IIA:
        try:
            theirs = services.inbound_iia(document)
            home = services.home_hei()
        except EwpError as error:
            context["problem"] = str(error)
            return render(request, "ewp/inbound.html", context)
        partner = next(p for p in theirs.partners if p.hei_id != home)
        compared = document.agreement
        chosen = request.GET.get("agreement", "")
        if chosen.isdigit() and document.agreement is None:
            compared = (
                Agreement.objects.filter(partner__schac_code__iexact=partner.hei_id, pk=chosen)
                .select_related("partner")
                .first()
            )
        form = AcceptForm(
            partner_hei=partner.hei_id,
            initial={"agreement": compared.pk if compared else None},
        )
        try:
            differences: list[Any] = (
                approval.inbound_differences(document, compared)
                if compared is not None
                else services.iia_diff(document, None)
            )
        except EwpError as error:
            context["problem"] = str(error)
            differences = []
        context.update(
            {
                "theirs": theirs,
                "partner": partner,
                "compared": compared,
                "differences": differences,
                "hashes": Hashes(theirs.iia_hash, theirs.computed_hash),
                "form": form,
                "pending": document.state == Inbound.State.PENDING,
                "candidates": form.fields["agreement"].queryset,  # type: ignore[attr-defined]
            }
        )
    return render(request, "ewp/inbound.html", context)


@office_page("ewp.exchange")
@require_POST
def inbound_accept(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    user = _user(request)
    document = _inbound(pk)
    try:
        theirs = services.inbound_iia(document)
        home = services.home_hei()
        partner = next(p for p in theirs.partners if p.hei_id != home)
        form = AcceptForm(request.POST, partner_hei=partner.hei_id)
        if not form.is_valid():
            raise EwpError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        result = services.accept_iia(
            inbound=document,
            actor=user,
            agreement=document.agreement or form.cleaned_data["agreement"],
            code=form.cleaned_data["code"],
        )
    except EwpError as error:
        messages.error(request, str(error))
        return redirect("ewp:inbound", pk=document.pk)
    messages.success(request, services.accepted_message(result))
    return redirect("ewp:inbound", pk=document.pk)


@office_page("ewp.exchange")
@require_POST
def inbound_discard(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    user = _user(request)
    document = _inbound(pk)
    try:
        services.discard(inbound=document, actor=user)
    except EwpError as error:
        messages.error(request, str(error))
        return redirect("ewp:inbound", pk=document.pk)
    messages.success(request, _("%(summary)s: discarded.") % {"summary": document.summary})
    return redirect(reverse("ewp:inbox"))
