from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.validators import FileExtensionValidator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from abroad.catalogue import jobs as catalogue_jobs
from abroad.catalogue.importers.agreements import (
    column_help,
    import_agreements,
)
from abroad.catalogue.models import (
    Agreement,
    Contact,
    CourseOfStudy,
    Institution,
    Network,
    NetworkMembership,
    Offer,
    Promoter,
    School,
)
from abroad.core import jobs
from abroad.core.admin import AuditedModelAdmin
from abroad.core.importing import Format
from abroad.core.permissions import can
from abroad.people.models import User


class EcheListFilter(admin.SimpleListFilter):
    """Whether the institution is still on the Commission's list of ECHE holders (the import
    marks the ones missing from a new edition)."""

    title = _("ECHE list")
    parameter_name = "eche"
    field = "eche_withdrawn_on"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("withdrawn", str(_("Withdrawn from the list"))),
            ("listed", str(_("Not withdrawn"))),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "withdrawn":
            return queryset.filter(**{f"{self.field}__isnull": False})
        if self.value() == "listed":
            return queryset.filter(**{f"{self.field}__isnull": True})
        return queryset


class PartnerEcheListFilter(EcheListFilter):
    title = _("partner on the ECHE list")
    parameter_name = "partner_eche"
    field = "partner__eche_withdrawn_on"


@admin.register(Institution)
class InstitutionAdmin(AuditedModelAdmin):
    list_display = (
        "name",
        "country",
        "city",
        "erasmus_code",
        "schac_code",
        "is_home",
        "eche_withdrawn_on",
    )
    list_filter = ("is_home", EcheListFilter, "country")
    search_fields = ("name", "name_en", "city", "erasmus_code", "schac_code")


@admin.register(School)
class SchoolAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")


@admin.register(CourseOfStudy)
class CourseOfStudyAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "level", "school", "isced_code", "language")
    list_filter = ("level", "school", "language")
    search_fields = ("code", "name", "name_it")
    filter_horizontal = ("coordinators",)


def _user(request: HttpRequest) -> User:
    """The admin's user (the admin site lets in only logged-in staff)."""
    user = request.user
    assert isinstance(user, User)
    return user


class MembershipInline(admin.TabularInline[NetworkMembership, Network]):
    model = NetworkMembership
    autocomplete_fields = ("institution",)
    extra = 0


@admin.register(Network)
class NetworkAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "website")
    inlines = (MembershipInline,)
    search_fields = ("name",)


@admin.register(Promoter)
class PromoterAdmin(AuditedModelAdmin):
    list_display = ("__str__", "school", "email")
    list_filter = ("school",)
    search_fields = ("user__first_name", "user__last_name", "email")
    autocomplete_fields = ("user",)


@admin.register(Contact)
class ContactAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "school", "email", "phone", "order")
    list_filter = ("kind", "school")


class OfferInline(admin.StackedInline[Offer, Agreement]):
    model = Offer
    extra = 0
    filter_horizontal = ("courses",)


class AgreementImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("An .xlsx or .csv file with one row per offer, as the export writes it."),
        validators=[FileExtensionValidator(["xlsx", "csv"])],
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file, import nothing"),
        required=False,
    )


CONTENT_TYPES: dict[Format, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@admin.register(Agreement)
class AgreementAdmin(AuditedModelAdmin):
    list_display = (
        "code",
        "partner",
        "partner_withdrawn",
        "programme",
        "network",
        "start_year",
        "end_year",
        "status",
    )
    list_filter = ("status", "programme", "network", "partner__country", PartnerEcheListFilter)
    search_fields = ("code", "partner__name", "partner__name_en", "partner__erasmus_code")
    autocomplete_fields = ("partner", "promoter")
    inlines = (OfferInline,)
    list_select_related = ("partner", "network")
    actions = ("export_xlsx", "export_csv")
    readonly_fields = ("partner_withdrawn",)

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "catalogue.manage_agreements")

    @admin.display(description=_("partner withdrawn from the ECHE list"))
    def partner_withdrawn(self, agreement: Agreement) -> str:
        if agreement.partner_id is None:  # a new agreement, on the add form
            return ""
        withdrawn_on = agreement.partner.eche_withdrawn_on
        if withdrawn_on is None:
            return ""
        return _("Withdrawn on %(date)s") % {"date": withdrawn_on.isoformat()}

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="catalogue_agreement_import",
            ),
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="catalogue_agreement_export",
            ),
        ]
        return [*own, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload the agreements spreadsheet: the same import, and report, as the command; the
        check (dry run) in the request, the import as a background job."""
        if not self.has_manage_permission(request):
            raise Http404
        form = AgreementImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if not form.cleaned_data["dry_run"]:
                # the import itself runs in the background worker; its page shows the report
                with transaction.atomic():
                    job = jobs.submit(
                        catalogue_jobs.AGREEMENTS_IMPORT,
                        requested_by=_user(request),
                        upload=upload,
                        upload_name=upload.name,
                    )
                return redirect("job", pk=job.pk)
            # checking the file (bounded by ABROAD_IMPORT_MAX_*) stays in the request
            report = import_agreements(upload, name=upload.name, dry_run=True, actor=_user(request))
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import agreements"),
            "form": form,
            "report": report,
            "columns": column_help(),
        }
        return TemplateResponse(request, "admin/catalogue/agreement/import.html", context)

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        """Every agreement, as a file the import reads back (made by the background worker;
        the change list's button posts here)."""
        if not self.has_manage_permission(request):
            raise Http404
        if fmt not in CONTENT_TYPES:
            raise Http404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return self._export(request, None, "xlsx" if fmt == "xlsx" else "csv")

    @admin.action(description=_("Export the selected agreements (XLSX)"), permissions=["manage"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet[Agreement]) -> HttpResponse:
        return self._export(request, queryset, "xlsx")

    @admin.action(description=_("Export the selected agreements (CSV)"), permissions=["manage"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Agreement]) -> HttpResponse:
        return self._export(request, queryset, "csv")

    def _export(
        self, request: HttpRequest, queryset: QuerySet[Agreement] | None, fmt: Format
    ) -> HttpResponse:
        ids = None if queryset is None else list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            job = jobs.submit(
                catalogue_jobs.AGREEMENTS_EXPORT,
                requested_by=_user(request),
                params={"format": fmt, "ids": ids},
            )
        return redirect("job", pk=job.pk)


@admin.register(Offer)
class OfferAdmin(AuditedModelAdmin):
    list_display = ("__str__", "mobility_type", "isced_code", "seats", "months", "language")
    list_filter = ("mobility_type", "language", "extendable", "agreement__programme")
    search_fields = ("agreement__code", "agreement__partner__name")
    filter_horizontal = ("courses",)
    list_select_related = ("agreement__partner",)
