"""The forms of the network pages: the catalogue's filters, the student's ranked courses and
motivation, the office's session, publication, import and results, the double-degree plan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.models import Network
from abroad.core.enums import Language, isced_name
from abroad.matching.forms import OrderedIdsField, RankedListForm
from abroad.networks.models import AthensCourse, AthensSession, DoubleDegreePlan
from abroad.networks.services import MAX_MOTIVATION

SPREADSHEET = FileExtensionValidator(["csv", "xlsx"])
SPREADSHEET_ACCEPT = (
    ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
ANY: list[tuple[str, Any]] = [("", _("Any"))]


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        help_text=_("Day and time (Italian time)."),
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class CourseFilterForm(forms.Form):
    """The filters of a session's catalogue, from the URL; the choices are the session's."""

    host = forms.ChoiceField(label=_("Host"), required=False)
    field = forms.ChoiceField(label=_("Field"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, data: Any, *, courses: list[AthensCourse]) -> None:
        super().__init__(data)
        hosts = sorted({(str(c.host_id), c.host.display_name) for c in courses}, key=lambda h: h[1])
        fields = sorted({c.isced_code[:3] for c in courses if c.isced_code})
        languages = sorted({c.language for c in courses})
        self._set("host", ANY + hosts)
        self._set("field", ANY + [(code, f"{code} {isced_name(code)}") for code in fields])
        self._set("language", ANY + [(code, Language(code).label) for code in languages])

    def _set(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def wanted(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


def filter_courses(courses: list[AthensCourse], wanted: dict[str, str]) -> list[AthensCourse]:
    """The courses matching the filters (a session has tens of courses: filtered in Python,
    on the list the page has already read)."""
    return [
        course
        for course in courses
        if (not wanted.get("host") or str(course.host_id) == wanted["host"])
        and (not wanted.get("field") or course.isced_code.startswith(wanted["field"]))
        and (not wanted.get("language") or course.language == wanted["language"])
    ]


class ChoicesForm(RankedListForm):
    """The whole ranking of courses after one change, and the course the change was about."""

    field_name = "course"
    course = OrderedIdsField(label=_("Your courses"), required=False)


class MotivationForm(forms.Form):
    motivation = forms.CharField(
        label=_("Your motivation"),
        help_text=_("Why these courses, and what you expect from the week."),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=MAX_MOTIVATION,
    )


class SessionForm(forms.ModelForm[Any]):
    applications_open_at = _datetime_field(_("Applications open"))
    applications_close_at = _datetime_field(_("Applications close"))

    class Meta:
        model = AthensSession
        fields = (
            "code",
            "network",
            "season",
            "year",
            "starts_on",
            "ends_on",
            "applications_open_at",
            "applications_close_at",
            "max_choices",
            "require_first_year_completed",
            "min_credits",
        )
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        network = self.fields["network"]
        assert isinstance(network, forms.ModelChoiceField)
        network.queryset = Network.objects.order_by("name")


class PublishForm(forms.Form):
    acceptance_deadline = _datetime_field(_("Students accept by"))


class CourseImportForm(forms.Form):
    file = forms.FileField(
        label=_("Course catalogue (CSV or XLSX)"),
        validators=[SPREADSHEET],
        widget=forms.ClearableFileInput(attrs={"accept": SPREADSHEET_ACCEPT}),
        error_messages={"required": _("Choose the file of the courses.")},
    )
    dry_run = forms.BooleanField(label=_("Only check the file, import nothing"), required=False)


class ResultForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Outcome"),
        choices=[("yes", _("Passed")), ("no", _("Not passed"))],
        coerce=lambda value: value == "yes",
    )
    ects_earned = forms.DecimalField(
        label=_("ECTS earned"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(30),
        decimal_places=1,
    )


class PlanForm(forms.ModelForm[Any]):
    class Meta:
        model = DoubleDegreePlan
        fields = (
            "network",
            "credits_at_partner",
            "credits_recognised_at_home",
            "thesis_at_home",
            "thesis_at_home_on",
            "thesis_at_partner",
            "thesis_at_partner_on",
            "mobility_unit_months",
            "study_plan",
        )
        widgets = {
            "thesis_at_home_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "thesis_at_partner_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "study_plan": forms.Textarea(attrs={"rows": 8}),
        }


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to return the plan: say what to change."),
    )
