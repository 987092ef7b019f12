"""The promoter's desk, under /mobility/desk/: everything waiting for this promoter (learning
agreement versions to approve, extension requests to decide) on one page with filters and bulk
decisions, and the review page of each. Every decision is one call to a service; a refusal is
shown as the service words it.

Who (:mod:`abroad.mobility.rules`): a promoter sees what they approve (``queries.approver_q``)
and decide (``queries.decider_q``); the office sees everything, read-only (an action answers
403). Anybody else gets 404 on the desk and on a review page; an anonymous visitor is sent to
log in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from abroad.catalogue.models import CourseOfStudy, Institution, Promoter
from abroad.core.enums import DegreeLevel, choice_labels
from abroad.core.formfields import ListedModelChoiceField
from abroad.core.permissions import can, office_page, require, visible_or_404
from abroad.core.widgets import QuickSelect
from abroad.mobility import checks, queries, services
from abroad.mobility.enums import (
    LearningAgreementState,
    Stage,
    Table,
)
from abroad.mobility.models import Component, ExtensionRequest, LearningAgreement
from abroad.mobility.queries import acting_q, office_mobilities_q
from abroad.mobility.services import MobilityError
from abroad.people.models import Substitution, User
from abroad.people.substitutes import (
    SubstitutionError,
    decisions_on_behalf,
    end_substitution,
    name_substitute,
)

# ------------------------------------------------------------------------------ who may


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


DESK = "mobility.use_desk"
DECIDE_ON_DESK = "mobility.decide_on_desk"
REVIEW_AGREEMENT = "mobility.review_learning_agreement"
DECIDE_AGREEMENT = "mobility.decide_submitted_learning_agreement"
APPROVE = "mobility.approve_learning_agreement"
REVIEW_EXTENSION = "mobility.review_extension"
DECIDE_EXTENSION = "mobility.decide_requested_extension"
DECIDES_EXTENSIONS = "mobility.decide_extension"


def _promoter(user: User) -> Promoter | None:
    """The user's promoter record, or None for anybody else."""
    if not user.is_promoter:
        return None
    return getattr(user, "promoter", None)


def _desk_user(request: HttpRequest) -> tuple[User, Promoter | None]:
    """The user of the desk: a promoter (with their record) or the office (None)."""
    user = _user(request)
    promoter = _promoter(user)
    if promoter is None and not can(user, "mobility.manage_mobilities"):
        raise Http404  # a promoter without a promoter record has no desk
    return user, promoter


# -------------------------------------------------------------------------------- filters

FIRST = "first"
CHANGE = "change"
EXTENSION = "extension"
KIND_CHOICES = [
    ("", gettext_lazy("Everything")),
    (FIRST, gettext_lazy("Learning agreement: first version")),
    (CHANGE, gettext_lazy("Learning agreement: change during the mobility")),
    (EXTENSION, gettext_lazy("Extension request")),
]


class CourseChoiceField(ListedModelChoiceField):
    """Each course as ``CourseOfStudy.__str__`` names it (its name and degree level), with the
    level's label looked up in ``choice_labels``: ``get_level_display`` rebuilds the translated
    choices at every call (the select took 7.5 ms for the demo's 52 courses, now 3)."""

    # The levels' labels in each language, made once per process (they never change).
    levels: dict[str, dict[Any, str]] = {}

    def label_from_instance(self, obj: Any) -> str:
        language = get_language() or ""
        labels = self.levels.get(language)
        if labels is None:
            labels = self.levels[language] = choice_labels(DegreeLevel)
        return f"{obj.display_name} ({labels.get(obj.level, obj.level)})"


class DeskFilterForm(forms.Form):
    # QuickSelect: the same HTML without a template per option (core/widgets.py); the
    # courses and the institutions in one ordinary query each (core/formfields.py).
    kind = forms.ChoiceField(
        label=gettext_lazy("What"), required=False, choices=KIND_CHOICES, widget=QuickSelect
    )
    course = CourseChoiceField(
        label=gettext_lazy("Course of study"),
        required=False,
        queryset=CourseOfStudy.objects.order_by("name"),
        empty_label=gettext_lazy("Any"),
        widget=QuickSelect,
    )
    partner = ListedModelChoiceField(
        label=gettext_lazy("Host institution"),
        required=False,
        queryset=Institution.objects.filter(incoming_mobilities__isnull=False)
        .distinct()
        .order_by("name"),
        empty_label=gettext_lazy("Any"),
        widget=QuickSelect,
    )
    q = forms.CharField(
        label=gettext_lazy("Student (name or number)"), required=False, max_length=100
    )


FILTER_NAMES = ("kind", "course", "partner", "q")


def _student_filter(words: str, prefix: str) -> Q:
    found = Q()
    for word in words.split():
        found &= (
            Q(**{f"{prefix}student__first_name__icontains": word})
            | Q(**{f"{prefix}student__last_name__icontains": word})
            | Q(**{f"{prefix}student__student_number__icontains": word})
        )
    return found


def _narrow(items: QuerySet[Any], wanted: dict[str, Any]) -> QuerySet[Any]:
    """Course, partner and student filters, for learning agreements and extensions alike
    (both reach the mobility as ``mobility__``)."""
    if wanted.get("course"):
        items = items.filter(mobility__student__course_of_study=wanted["course"])
    if wanted.get("partner"):
        items = items.filter(mobility__host=wanted["partner"])
    if wanted.get("q"):
        items = items.filter(_student_filter(wanted["q"], "mobility__"))
    return items


# ----------------------------------------------------------------------------- the desk


@dataclass
class AgreementRow:
    agreement: LearningAgreement
    total_a: Decimal
    errors: int
    warnings: int

    @property
    def is_change(self) -> bool:
        return self.agreement.stage == Stage.DURING


def agreement_row(agreement: LearningAgreement) -> AgreementRow:
    """A row of the desk, from prefetched data only (components, certificates, passed
    courses): no query."""
    components = list(agreement.components.all())
    found = services.findings(agreement)
    errors = sum(1 for f in found if f.severity == "error")
    return AgreementRow(
        agreement=agreement,
        total_a=checks.credits(components, Table.A),
        errors=errors,
        warnings=len(found) - errors,
    )


def _desk_agreements(
    user: User, promoter: Promoter | None, wanted: dict[str, Any]
) -> list[AgreementRow]:
    kind = wanted.get("kind")
    if kind == EXTENSION:
        return []
    agreements = _narrow(queries.waiting_agreements(promoter, user), wanted).filter(
        office_mobilities_q(user, "mobility__")
    )
    if kind == FIRST:
        agreements = agreements.filter(stage=Stage.BEFORE)
    elif kind == CHANGE:
        agreements = agreements.filter(stage=Stage.DURING)
    agreements = (
        agreements.select_related(
            "mobility__student__course_of_study", "mobility__host", "mobility__offer"
        )
        .prefetch_related(
            "components", "mobility__student__certificates", "mobility__student__passed_courses"
        )
        .order_by("student_signed_at", "pk")
    )
    return [agreement_row(agreement) for agreement in agreements]


def _desk_extensions(
    user: User, promoter: Promoter | None, wanted: dict[str, Any]
) -> list[ExtensionRequest]:
    if wanted.get("kind") in (FIRST, CHANGE):
        return []
    extensions = _narrow(queries.waiting_extensions(promoter, user), wanted).filter(
        office_mobilities_q(user, "mobility__")
    )
    return list(
        extensions.select_related("mobility__student__course_of_study", "mobility__host").order_by(
            "requested_at", "pk"
        )
    )


def _query(request: HttpRequest) -> str:
    return request.GET.urlencode()


@office_page(DESK)
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    """Everything waiting for the promoter, with filters; a POST decides the selected learning
    agreements at once. A constant number of queries, whatever the number of rows."""
    user, promoter = _desk_user(request)
    if request.method == "POST":
        return _bulk(request, user, promoter)
    form = DeskFilterForm(request.GET)
    wanted = form.cleaned_data if form.is_valid() else {}
    agreement_rows = _desk_agreements(user, promoter, wanted)
    extensions = _desk_extensions(user, promoter, wanted)
    template = "mobility/desk/desk.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "agreement_rows": agreement_rows,
            "extensions": extensions,
            "can_decide": can(user, DECIDE_ON_DESK),
            "office": promoter is None,
            "query": _query(request),
            "active_filters": sum(1 for name in FILTER_NAMES if request.GET.get(name)),
        },
    )


def _who(agreement: LearningAgreement) -> str:
    student = agreement.mobility.student
    name = f"{student.last_name} {student.first_name}".strip() or student.get_username()
    return _("%(student)s, version %(number)s") % {"student": name, "number": agreement.number}


def _bulk(request: HttpRequest, user: User, promoter: Promoter | None) -> HttpResponse:
    """Approve or return the selected versions: each on its own, so one refused does not stop
    the others; the page reports both."""
    back = request.get_full_path()
    require(user, DECIDE_ON_DESK)  # the office sees the desk but does not approve
    assert promoter is not None
    action = request.POST.get("action")
    if action not in ("approve", "return"):
        messages.error(request, _("Choose “Approve selected” or “Return selected”."))
        return redirect(back)
    try:
        ids = sorted({int(value) for value in request.POST.getlist("agreement")})
    except ValueError:
        ids = []
    if not ids:
        messages.error(request, _("Select at least one learning agreement."))
        return redirect(back)
    comment = request.POST.get("comment", "").strip()
    if action == "return" and not comment:
        messages.error(
            request,
            _("Write in the comment what the students should change; nothing was returned."),
        )
        return redirect(back)
    # Only the versions this promoter approves; in any state, so that one decided meanwhile
    # is reported as refused by the service.
    agreements = list(
        LearningAgreement.objects.filter(pk__in=ids)
        .filter(acting_q(promoter, user, "mobility__"))
        .select_related("mobility__student")
        .order_by("pk")
    )
    done, refused = services.bulk_decide(
        agreements=agreements, actor=user, approve_them=action == "approve", comment=comment
    )
    if done:
        names = "; ".join(_who(agreement) for agreement in agreements if agreement in done)
        text = (
            ngettext(
                "%(count)d learning agreement approved: %(names)s.",
                "%(count)d learning agreements approved: %(names)s.",
                len(done),
            )
            if action == "approve"
            else ngettext(
                "%(count)d learning agreement returned: %(names)s.",
                "%(count)d learning agreements returned: %(names)s.",
                len(done),
            )
        )
        messages.success(request, text % {"count": len(done), "names": names})
    for agreement, why in refused:
        messages.error(
            request, _("%(who)s: not done. %(why)s") % {"who": _who(agreement), "why": why}
        )
    missing = len(ids) - len(agreements)
    if missing:
        messages.error(
            request,
            ngettext(
                "%(count)d selected learning agreement is not one you approve; it was skipped.",
                "%(count)d selected learning agreements are not ones you approve; they were "
                "skipped.",
                missing,
            )
            % {"count": missing},
        )
    return redirect(back)


# ---------------------------------------------------------------------- agreement review


def _review_agreement(request: HttpRequest, pk: int) -> tuple[User, LearningAgreement]:
    """The version, if the user approves it or is the office (who may look); 404 otherwise."""
    user = _user(request)
    agreement = get_object_or_404(
        LearningAgreement.objects.select_related(
            "mobility__student__course_of_study",
            "mobility__host",
            "mobility__offer__agreement__promoter__user",
            "promoter",
            "host_document",
        ).prefetch_related(
            "components", "mobility__student__certificates", "mobility__student__passed_courses"
        ),
        pk=pk,
    )
    return user, visible_or_404(user, REVIEW_AGREEMENT, agreement)


def tables_of(components: list[Component]) -> list[tuple[str, str, list[Component], Decimal]]:
    """(code, label, components, total) for each table that has components (A and B always)."""
    labels = dict(Table.choices)
    tables = []
    for table in Table.values:
        rows = [c for c in components if c.table == table]
        if rows or table != Table.C:
            tables.append((table, str(labels[table]), rows, checks.credits(rows, table)))
    return tables


def previous_signed(agreement: LearningAgreement) -> LearningAgreement | None:
    """The version signed by all three before this one: what a change changes."""
    return (
        LearningAgreement.objects.filter(
            mobility_id=agreement.mobility_id,
            state=LearningAgreementState.SIGNED,
            number__lt=agreement.number,
        )
        .prefetch_related("components")
        .order_by("-number")
        .first()
    )


def _review_context(user: User, agreement: LearningAgreement) -> dict[str, Any]:
    components = list(agreement.components.all())
    previous = previous_signed(agreement) if agreement.stage == Stage.DURING else None
    found: list[checks.Finding] = services.findings(agreement)
    student = agreement.mobility.student
    return {
        "agreement": agreement,
        "mobility": agreement.mobility,
        "student": student,
        "tables": tables_of(components),
        "changed": [c for c in components if c.status],
        "previous": previous,
        "previous_tables": tables_of(list(previous.components.all())) if previous else [],
        "findings": found,
        "certificates": list(student.certificates.all()),
        "may_act": can(user, DECIDE_AGREEMENT, agreement),
        "on_behalf": decisions_on_behalf(agreement),
        "is_change": agreement.stage == Stage.DURING,
        "expected": checks.Context(
            months=agreement.mobility.months,
            credits_per_semester=(
                student.course_of_study.credits_per_semester if student.course_of_study else 30
            ),
        ).expected_credits,
    }


@login_required
@require_http_methods(["GET", "POST"])
def la_review(request: HttpRequest, pk: int) -> HttpResponse:
    """One version to review: its tables, what changed, the checks' findings and the student's
    certificates; POST approves it or returns it with comments."""
    user, agreement = _review_agreement(request, pk)
    if request.method == "GET":
        return render(request, "mobility/desk/la_review.html", _review_context(user, agreement))
    # the office looks but does not approve; a version decided meanwhile is the service's word
    require(user, APPROVE, agreement)
    action = request.POST.get("action")
    try:
        if action == "approve":
            services.approve(agreement=agreement, actor=user)
            text = _("Version %(number)s of %(student)s approved; it now waits for the host.")
        elif action == "return":
            services.return_to_student(
                agreement=agreement, actor=user, comment=request.POST.get("comment", "")
            )
            text = _("Version %(number)s of %(student)s returned with your comments.")
        else:
            raise MobilityError(_("Choose “Approve” or “Return to the student”."))
    except MobilityError as error:
        messages.error(request, str(error))
        return redirect("mobility:la_review", pk=agreement.pk)
    messages.success(
        request, text % {"number": agreement.number, "student": agreement.mobility.student}
    )
    return redirect("mobility:desk")


# ---------------------------------------------------------------------- extension review


def _review_extension(request: HttpRequest, pk: int) -> tuple[User, ExtensionRequest]:
    user = _user(request)
    extension = get_object_or_404(
        ExtensionRequest.objects.select_related(
            "mobility__student__course_of_study",
            "mobility__student__career",
            "mobility__host",
            "mobility__offer__agreement",
            "form",
            "decided_by",
        ),
        pk=pk,
    )
    return user, visible_or_404(user, REVIEW_EXTENSION, extension)


@login_required
@require_http_methods(["GET", "POST"])
def extension_review(request: HttpRequest, pk: int) -> HttpResponse:
    """An extension request: the dates, the months against the cycle's limit, the reason and
    the host-signed form; POST authorises it or refuses it with a reason."""
    user, extension = _review_extension(request, pk)
    if request.method == "POST":
        require(user, DECIDES_EXTENSIONS, extension)  # the office looks but does not decide
        action = request.POST.get("action")
        try:
            if action not in ("authorise", "refuse"):
                raise MobilityError(_("Choose “Authorise” or “Refuse”."))
            services.decide_extension(
                extension=extension,
                actor=user,
                authorise=action == "authorise",
                reason=request.POST.get("reason", ""),
            )
        except MobilityError as error:
            messages.error(request, str(error))
            return redirect("mobility:extension_review", pk=extension.pk)
        student = extension.mobility.student
        messages.success(
            request,
            (
                _("Extension of %(student)s authorised: the mobility now ends on %(end)s.")
                if action == "authorise"
                else _("Extension of %(student)s refused.")
            )
            % {"student": student, "end": extension.requested_end.isoformat()},
        )
        return redirect("mobility:desk")
    mobility = extension.mobility
    used = services.months_used_elsewhere(mobility)
    limit = services.cycle_limit_of(mobility)
    return render(
        request,
        "mobility/desk/extension_review.html",
        {
            "extension": extension,
            "mobility": mobility,
            "student": mobility.student,
            "used": used,
            "limit": limit,
            "total_after": used + extension.months_after,
            "over_limit": used + extension.months_after > limit,
            "added": extension.months_after - extension.months_before,
            "may_act": can(user, DECIDE_EXTENSION, extension),
            "on_behalf": decisions_on_behalf(extension),
        },
    )


# --------------------------------------------------------------------------- substitutes

SUBSTITUTES = "people.name_substitute"


class SubstituteForm(forms.Form):
    substitute = forms.ModelChoiceField(
        label=gettext_lazy("Substitute"),
        queryset=User.objects.none(),
        help_text=gettext_lazy("Another promoter, who decides for you in the period."),
    )
    starts_on = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Until (included)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["substitute"]
        # every account, so that naming a non-promoter is refused with its reason
        field.queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True).exclude(pk=user.pk).order_by("last_name", "pk")
        )


@login_required
@require_http_methods(["GET", "POST"])
def substitutes(request: HttpRequest) -> HttpResponse:
    """The promoter names a substitute for a period (and takes one back); sees whom they stand
    in for. Promoters only: 404 for everybody else."""
    user = _user(request)
    if not can(user, SUBSTITUTES):
        raise Http404
    form = SubstituteForm(request.POST or None, user=user)
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            found = get_object_or_404(
                Substitution, pk=request.POST.get("substitution") or 0, promoter=user
            )
            end_substitution(substitution=found, actor=user)
            messages.success(request, _("The substitution was taken back."))
            return redirect("mobility:substitutes")
        if form.is_valid():
            try:
                name_substitute(
                    promoter=user,
                    substitute=form.cleaned_data["substitute"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    actor=user,
                )
            except SubstitutionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Your substitute was named."))
                return redirect("mobility:substitutes")
    return render(
        request,
        "mobility/desk/substitutes.html",
        {
            "form": form,
            "given": Substitution.objects.filter(promoter=user).select_related("substitute"),
            "taken": Substitution.objects.filter(substitute=user).select_related("promoter"),
        },
    )
