"""The privacy pages, under /privacy/.

- ``/privacy/``: the privacy notice (public).
- ``/privacy/my-data/``: what abroad holds about the signed-in person, and its download.
- ``/privacy/office/``: the office finds a person, downloads their data, erases them
  (:func:`abroad.core.permissions.office_page`: 404 for anybody else, log-in for anonymous).

Downloads are POSTs: each one writes an audit event, which a link prefetch must not do.
"""

from __future__ import annotations

import tempfile
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abroad.core.models import OutboxMessage
from abroad.core.permissions import can, office_page, visible_or_404
from abroad.people.models import User
from abroad.people.rules import office_scope, office_scope_q
from abroad.privacy.collect import Holding, collect
from abroad.privacy.erasure import PrivacyError, erase_person, is_erased, refusal
from abroad.privacy.export import export_person

MANAGE = "privacy.manage_people"
SEARCH_LIMIT = 50


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _summary(holding: Holding) -> list[tuple[str, int]]:
    found = [
        (str(model._meta.verbose_name_plural), len(rows)) for model, rows in holding.rows.items()
    ]
    if holding.messages:  # the e-mails written to the person's address
        found.append((str(OutboxMessage._meta.verbose_name_plural), len(holding.messages)))
    return found


def _download(actor: User, person: User) -> HttpResponse:
    """The ZIP, streamed from a temporary file (a FileResponse, typed as the views' response)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    export_person(actor=actor, person=person, out=out)
    out.seek(0)
    stamp = timezone.localdate().isoformat()
    response = FileResponse(
        out,
        as_attachment=True,
        filename=f"abroad-data-{person.pk}-{stamp}.zip",
        content_type="application/zip",
    )
    return cast(HttpResponse, response)


@require_GET
def notice(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/notice.html",
        {
            "records_years": settings.RETENTION_RECORDS_YEARS,
            "replaced_months": settings.RETENTION_REPLACED_DOCUMENTS_MONTHS,
            "inactive_years": settings.RETENTION_INACTIVE_YEARS,
        },
    )


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    person = _user(request)
    holding = collect(person)
    return render(
        request,
        "privacy/my_data.html",
        {"person": person, "summary": _summary(holding), "holding": holding},
    )


@login_required
@require_POST
def my_data_export(request: HttpRequest) -> HttpResponse:
    person = _user(request)
    return _download(person, person)


def _in_scope(user: User) -> Q:
    """The people a School-scoped office user looks after: its School's students and
    promoters (``people.rules.is_account_in_scope``); everybody for the unscoped office."""
    if office_scope(user) is None:
        return Q()
    return office_scope_q(user, "course_of_study__school") | office_scope_q(
        user, "promoter__school"
    )


def _person(request: HttpRequest, pk: int) -> User:
    """The person, if the office user looks after them; 404 otherwise (as a missing one)."""
    return visible_or_404(request.user, "privacy.export_person", get_object_or_404(User, pk=pk))


@office_page(MANAGE)
@require_GET
def office_people(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    people: Any = []
    if query:
        people = User.objects.filter(
            Q(username__icontains=query)
            | Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(email__icontains=query)
            | Q(student_number=query)
        ).filter(_in_scope(_user(request)))
        people = people.order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT]
    return render(request, "privacy/office_people.html", {"query": query, "people": people})


@office_page(MANAGE)
@require_GET
def office_person(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    holding = collect(person)
    return render(
        request,
        "privacy/office_person.html",
        {
            "person": person,
            "summary": _summary(holding),
            "holding": holding,
            "refusal": refusal(person),
            "erased": is_erased(person),
            "is_self": person.pk == request.user.pk,
            "may_erase": can(request.user, "privacy.erase_person", person),
        },
    )


@office_page(MANAGE)
@require_POST
def office_export(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    return _download(_user(request), person)


@office_page(MANAGE)
@require_http_methods(["GET", "POST"])
def office_erase(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    actor = _user(request)
    if person.pk == actor.pk:
        messages.error(request, _("You cannot erase your own account."))
        return redirect("privacy:office_person", pk=person.pk)
    if not can(actor, "privacy.erase_person", person):
        messages.error(request, _("Only an administrator can erase a staff account."))
        return redirect("privacy:office_person", pk=person.pk)
    if request.method == "POST":
        try:
            report = erase_person(actor=actor, person=person)
        except PrivacyError as error:
            messages.error(request, str(error))
        else:
            if report.changed:
                messages.success(
                    request,
                    _(
                        "The person was pseudonymised: %(texts)d texts blanked, %(deleted)d "
                        "files deleted, %(kept)d legal records kept."
                    )
                    % {
                        "texts": report.texts,
                        "deleted": report.files_deleted,
                        "kept": report.files_kept,
                    },
                )
            else:
                messages.info(request, _("This person was already erased: nothing changed."))
        return redirect("privacy:office_person", pk=person.pk)
    return render(
        request,
        "privacy/office_erase.html",
        {"person": person, "refusal": refusal(person), "erased": is_erased(person)},
    )
