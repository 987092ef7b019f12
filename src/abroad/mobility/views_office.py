"""The office's pages of the mobilities, under /mobility/office/: the list of every mobility
with filters, pagination and a CSV export; one mobility with its state buttons, learning
agreement versions (the host-signature upload for an approved one), documents and extensions.
Every action is a POST that calls one service and shows its MobilityError.

Who: the office (``mobility.manage_mobilities``, :func:`abroad.core.permissions.office_page`).
Anybody else gets 404 on every page, the list included; an anonymous visitor is sent to log in.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_countries import countries

from abroad.catalogue.models import CourseOfStudy, Institution
from abroad.core import jobs
from abroad.core.academic_year import format_year
from abroad.core.importing import country_label, yes_no_label
from abroad.core.permissions import can, office_page, visible_or_404
from abroad.mobility import jobs as mobility_jobs
from abroad.mobility import services
from abroad.mobility.enums import (
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
)
from abroad.mobility.forms import CertificateForm, PlannedDatesForm
from abroad.mobility.models import ExtensionRequest, LearningAgreement, Mobility
from abroad.mobility.queries import office_mobilities_q
from abroad.mobility.services import MobilityError
from abroad.people.models import User

PAGE_SIZE = 50

# ------------------------------------------------------------------------------ who may


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


MANAGE = "mobility.manage_mobilities"
DATES = "mobility.change_planned_dates"


def _office_mobility(request: HttpRequest, pk: int) -> tuple[User, Mobility]:
    """The mobility (the office's pages are behind :func:`office_page`); 404 for another
    School's office, as for a missing mobility."""
    user = _user(request)
    mobility = get_object_or_404(
        Mobility.objects.select_related(
            "student__course_of_study", "host", "offer__agreement__promoter__user"
        ),
        pk=pk,
    )
    return user, visible_or_404(user, MANAGE, mobility)


# -------------------------------------------------------------------------------- filters


class MobilityFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("Any")), *MobilityState.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("Any")), *MobilityKind.choices],
    )
    year = forms.TypedChoiceField(
        label=gettext_lazy("Academic year"), required=False, coerce=int, empty_value=None
    )
    course = forms.ModelChoiceField(
        label=gettext_lazy("Course of study"),
        required=False,
        queryset=CourseOfStudy.objects.order_by("name"),
        empty_label=gettext_lazy("Any"),
    )
    country = forms.ChoiceField(label=gettext_lazy("Host country"), required=False)
    q = forms.CharField(
        label=gettext_lazy("Student (name or number)"), required=False, max_length=100
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = (
            Mobility.objects.order_by("-academic_year")
            .values_list("academic_year", flat=True)
            .distinct()
        )
        self.fields["year"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *((year, format_year(year)) for year in years),
        ]
        codes = (
            Institution.objects.filter(incoming_mobilities__isnull=False)
            .order_by("country")
            .values_list("country", flat=True)
            .distinct()
        )
        self.fields["country"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *sorted(((code, countries.name(code)) for code in codes), key=lambda c: c[1]),
        ]


FILTER_NAMES = ("state", "kind", "year", "course", "country", "q")


def filtered_mobilities(form: MobilityFilterForm, user: User) -> QuerySet[Mobility]:
    """Every mobility of the user's office scope the filters keep, with its latest learning
    agreement version and whether an extension waits: one query, whatever the number of rows."""
    latest = LearningAgreement.objects.filter(mobility=OuterRef("pk")).order_by("-number")
    mobilities = (
        Mobility.objects.filter(office_mobilities_q(user))
        .select_related("student__course_of_study", "host")
        .annotate(
            la_number=Subquery(latest.values("number")[:1]),
            la_state=Subquery(latest.values("state")[:1]),
            extension_waiting=Exists(
                ExtensionRequest.objects.filter(
                    mobility=OuterRef("pk"), state=ExtensionState.REQUESTED
                )
            ),
        )
        .order_by("-academic_year", "student__last_name", "student__first_name", "pk")
    )
    if not form.is_valid():
        return mobilities
    wanted = form.cleaned_data
    if wanted["state"]:
        mobilities = mobilities.filter(state=wanted["state"])
    if wanted["kind"]:
        mobilities = mobilities.filter(kind=wanted["kind"])
    if wanted["year"] is not None:
        mobilities = mobilities.filter(academic_year=wanted["year"])
    if wanted["course"]:
        mobilities = mobilities.filter(student__course_of_study=wanted["course"])
    if wanted["country"]:
        mobilities = mobilities.filter(host__country=wanted["country"])
    for word in wanted["q"].split():
        mobilities = mobilities.filter(
            Q(student__first_name__icontains=word)
            | Q(student__last_name__icontains=word)
            | Q(student__student_number__icontains=word)
        )
    return mobilities


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


AGREEMENT_STATES = dict(LearningAgreementState.choices)


@office_page(MANAGE)
@require_GET
def office_list(request: HttpRequest) -> HttpResponse:
    """Every mobility, filtered in the URL, a page at a time. A constant number of queries."""
    form = MobilityFilterForm(request.GET)
    paginator = Paginator(filtered_mobilities(form, _user(request)), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # each mobility with the name of its latest version's state
    rows = [
        (mobility, AGREEMENT_STATES.get(getattr(mobility, "la_state", None) or "", ""))
        for mobility in page.object_list
    ]
    template = "mobility/office/list.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": _query_without_page(request),
            "active_filters": sum(1 for name in FILTER_NAMES if request.GET.get(name)),
        },
    )


EXPORT_COLUMNS = (
    "student",
    "student_number",
    "email",
    "course_of_study",
    "host",
    "host_erasmus_code",
    "host_country",
    "academic_year",
    "kind",
    "state",
    "months",
    "planned_start",
    "planned_end",
    "arrival",
    "departure",
    "learning_agreement_version",
    "learning_agreement_state",
    "extension_waiting",
    "origin",
)
# The header row a person reads in Excel, in their language (issue 18, point 15).
EXPORT_HEADERS = (
    gettext_lazy("Student"),
    gettext_lazy("Student number"),
    gettext_lazy("E-mail"),
    gettext_lazy("Course of study"),
    gettext_lazy("Host institution"),
    gettext_lazy("Host's Erasmus code"),
    gettext_lazy("Host country"),
    gettext_lazy("Academic year"),
    gettext_lazy("Kind"),
    gettext_lazy("State"),
    gettext_lazy("Months"),
    gettext_lazy("Planned start"),
    gettext_lazy("Planned end"),
    gettext_lazy("Arrival"),
    gettext_lazy("Departure"),
    gettext_lazy("Learning agreement version"),
    gettext_lazy("Learning agreement state"),
    gettext_lazy("Extension waiting"),
    gettext_lazy("Origin"),
)


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def export_rows(mobilities: QuerySet[Mobility]) -> Any:
    """One row per mobility, keyed by stable column names, its values labelled for people."""
    for mobility in mobilities.iterator(chunk_size=500):
        student = mobility.student
        course = student.course_of_study
        yield {
            "student": f"{student.last_name} {student.first_name}".strip()
            or student.get_username(),
            "student_number": student.student_number,
            "email": student.email,
            "course_of_study": course.display_name if course else "",
            "host": mobility.host.name,
            "host_erasmus_code": mobility.host.erasmus_code or "",
            "host_country": country_label(mobility.host.country.code),
            "academic_year": format_year(mobility.academic_year),
            "kind": mobility.get_kind_display(),
            "state": mobility.get_state_display(),
            "months": mobility.months,
            "planned_start": _date(mobility.planned_start),
            "planned_end": _date(mobility.planned_end),
            "arrival": _date(mobility.actual_start),
            "departure": _date(mobility.actual_end),
            "learning_agreement_version": mobility.la_number or "",  # type: ignore[attr-defined]
            "learning_agreement_state": AGREEMENT_STATES.get(mobility.la_state or "", ""),  # type: ignore[attr-defined]
            "extension_waiting": yes_no_label(bool(mobility.extension_waiting)),  # type: ignore[attr-defined]
            "origin": mobility.origin,
        }


@office_page(MANAGE)
@require_POST
def office_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV, made by the background worker (abroad.core.jobs): the request
    writes the job, with the page's filters, and goes to its page, where the file is offered."""
    with transaction.atomic():
        job = jobs.submit(
            mobility_jobs.MOBILITIES_EXPORT,
            requested_by=_user(request),
            params={"filters": request.GET.dict()},
        )
    return redirect("job", pk=job.pk)


# ------------------------------------------------------------------------- one mobility


class StateForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), choices=MobilityState.choices)
    arrived_on = forms.DateField(
        label=gettext_lazy("Arrived on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    left_on = forms.DateField(
        label=gettext_lazy("Left on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class HostSignatureForm(forms.Form):
    signer = forms.CharField(
        label=gettext_lazy("Signed at the host by"),
        max_length=200,
        help_text=gettext_lazy("Name and role, e.g. Dr Jane Smith, exchange coordinator."),
    )
    file = forms.FileField(
        label=gettext_lazy("Learning agreement signed by the host (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


def state_steps(mobility: Mobility) -> tuple[str | None, str | None]:
    """The next and the previous state of the flow (None at the ends or once withdrawn)."""
    if mobility.state not in services.FLOW:
        return None, None
    index = services.FLOW.index(mobility.state)
    following = services.FLOW[index + 1] if index + 1 < len(services.FLOW) else None
    previous = services.FLOW[index - 1] if index > 0 else None
    return following, previous


@office_page(MANAGE)
@require_GET
def office_mobility(request: HttpRequest, pk: int) -> HttpResponse:
    """One mobility for the office: facts, state buttons, versions, documents, extensions."""
    _, mobility = _office_mobility(request, pk)
    following, previous = state_steps(mobility)
    labels = dict(MobilityState.choices)
    agreements = list(
        mobility.learning_agreements.select_related("promoter", "host_document").order_by("-number")
    )
    return render(
        request,
        "mobility/office/mobility.html",
        {
            "mobility": mobility,
            "student": mobility.student,
            "next_state": following,
            "next_label": labels.get(following or ""),
            "previous_state": previous,
            "previous_label": labels.get(previous or ""),
            "withdrawable": mobility.state != MobilityState.WITHDRAWN,
            "agreements": agreements,
            "signature_form": HostSignatureForm(),
            "documents": list(mobility.documents.select_related("uploaded_by")),
            "extensions": list(mobility.extensions.select_related("decided_by")),
            "dates_form": PlannedDatesForm(
                initial={
                    "planned_start": mobility.planned_start,
                    "planned_end": mobility.planned_end,
                }
            )
            if can(request.user, DATES, mobility)
            else None,
            "months_allowed": services.months_allowed(mobility),
            "certificate_form": CertificateForm(
                initial={
                    "kind": DocumentKind.DEPARTURE
                    if mobility.state in (MobilityState.IN_MOBILITY, MobilityState.COMPLETED)
                    else DocumentKind.ARRIVAL
                }
            )
            if mobility.state
            in (MobilityState.ACCEPTED, MobilityState.IN_MOBILITY, MobilityState.COMPLETED)
            else None,
        },
    )


def _errors(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    )


@office_page(MANAGE)
@require_POST
def office_dates(request: HttpRequest, pk: int) -> HttpResponse:
    """The office sets the planned dates (until the departure is recorded)."""
    user, mobility = _office_mobility(request, pk)
    form = PlannedDatesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("mobility:office_mobility", pk=mobility.pk)
    try:
        services.set_planned_dates(
            mobility=mobility,
            actor=user,
            start=form.cleaned_data["planned_start"],
            end=form.cleaned_data["planned_end"],
        )
    except MobilityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The planned dates are saved."))
    return redirect("mobility:office_mobility", pk=mobility.pk)


@office_page(MANAGE)
@require_POST
def office_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """The office records the host's arrival or departure certificate and its date."""
    user, mobility = _office_mobility(request, pk)
    form = CertificateForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("mobility:office_mobility", pk=mobility.pk)
    try:
        services.record_certificate(
            mobility=mobility,
            actor=user,
            kind=form.cleaned_data["kind"],
            day=form.cleaned_data["day"],
            file=form.cleaned_data["file"],
        )
    except MobilityError as error:
        messages.error(request, str(error))
    else:
        mobility.refresh_from_db()
        messages.success(
            request,
            _(
                "The certificate is recorded: %(student)s's mobility is “%(state)s”, "
                "%(months)s months."
            )
            % {
                "student": mobility.student,
                "state": mobility.get_state_display(),
                "months": mobility.months,
            },
        )
    return redirect("mobility:office_mobility", pk=mobility.pk)


@office_page(MANAGE)
@require_POST
def office_state(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the mobility one step (with the arrival or departure date), or withdraw it."""
    user, mobility = _office_mobility(request, pk)
    form = StateForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            " ".join(
                f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
                for name, errors in form.errors.items()
                for error in errors
            ),
        )
        return redirect("mobility:office_mobility", pk=mobility.pk)
    try:
        mobility = services.set_state(
            mobility=mobility,
            state=form.cleaned_data["state"],
            actor=user,
            arrived_on=form.cleaned_data["arrived_on"],
            left_on=form.cleaned_data["left_on"],
        )
    except MobilityError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(student)s's mobility is now “%(state)s”.")
            % {"student": mobility.student, "state": mobility.get_state_display()},
        )
    return redirect("mobility:office_mobility", pk=mobility.pk)


@office_page(MANAGE)
@require_POST
def host_signature(request: HttpRequest, pk: int) -> HttpResponse:
    """The host signed an approved version: store the PDF and record the signature."""
    agreement = get_object_or_404(LearningAgreement, pk=pk)
    user, mobility = _office_mobility(request, agreement.mobility_id)
    form = HostSignatureForm(request.POST, request.FILES)
    back = redirect("mobility:office_mobility", pk=mobility.pk)
    if agreement.state != LearningAgreementState.APPROVED:
        messages.error(
            request,
            _(
                "Version %(number)s is “%(state)s”: only a version approved by the promoter "
                "waits for the host's signature."
            )
            % {"number": agreement.number, "state": agreement.get_state_display()},
        )
        return back
    if not form.is_valid():
        messages.error(
            request,
            " ".join(
                f"{form.fields[name].label}: {error}"
                for name, errors in form.errors.items()
                for error in errors
            ),
        )
        return back
    try:
        with transaction.atomic():
            document = services.upload_document(
                mobility=mobility,
                kind=DocumentKind.SIGNED_LA,
                file=form.cleaned_data["file"],
                actor=user,
            )
            services.record_host_signature(
                agreement=agreement,
                actor=user,
                signer=form.cleaned_data["signer"],
                document=document,
            )
    except MobilityError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Version %(number)s is signed by all three; it is now the one in force.")
            % {"number": agreement.number},
        )
    return back
