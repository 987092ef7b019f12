"""The forms of the recognition pages. They only read what was typed: whether a grade belongs to
its scale, a row reports a component of table A or a file is right is for
:mod:`abroad.recognition.services` to say (its refusals are shown as they are)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import FileExtensionValidator
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.models import Institution
from abroad.recognition.enums import Cycle
from abroad.recognition.models import GradingScale

# Empty rows offered under table A's rows, for components the host reports beyond it.
EXTRA_ROWS = 3

SPREADSHEET = FileExtensionValidator(["csv", "xlsx"])
SPREADSHEET_ACCEPT = (
    ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)


def _scales() -> Any:
    return GradingScale.objects.order_by("name")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TranscriptForm(forms.Form):
    """The transcript's header: the host's grading scale and when it arrived."""

    host_scale = forms.ModelChoiceField(
        label=_("Grading scale of the transcript"),
        queryset=GradingScale.objects.none(),
        empty_label=_("Choose…"),
        error_messages={"required": _("Choose the grading scale of the transcript.")},
    )
    received_on = forms.DateField(label=_("Received on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["host_scale"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _scales()


class EntryForm(forms.Form):
    """One row of the transcript: the table A component it reports (hidden, when prefilled),
    the host's code, title, credits and grade (empty: the transcript does not report it)."""

    component = forms.IntegerField(required=False, widget=forms.HiddenInput())
    code = forms.CharField(label=_("Code"), max_length=40, required=False)
    title = forms.CharField(label=_("Title"), max_length=250, required=False)
    ects = forms.DecimalField(
        label=_("ECTS"),
        required=False,
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.5"),
        max_value=Decimal(60),
        localize=True,
    )
    grade = forms.CharField(label=_("Grade"), max_length=20, required=False)

    @property
    def is_blank(self) -> bool:
        """An extra row left empty."""
        data = getattr(self, "cleaned_data", {})
        return not data.get("component") and not any(
            data.get(name) not in (None, "") for name in ("code", "title", "ects", "grade")
        )


EntryFormSet = formset_factory(EntryForm, extra=0)


class TranscriptImportForm(forms.Form):
    file = forms.FileField(
        label=_("Transcript file (CSV or XLSX)"),
        validators=[SPREADSHEET],
        widget=forms.ClearableFileInput(attrs={"accept": SPREADSHEET_ACCEPT}),
        error_messages={"required": _("Choose the file to import.")},
    )
    host_scale = forms.ModelChoiceField(
        label=_("Grading scale of the transcript"),
        queryset=GradingScale.objects.none(),
        required=False,
        empty_label=_("The host country's (or the transcript's)"),
    )
    received_on = forms.DateField(label=_("Received on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["host_scale"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _scales()


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with the transcript?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AdjustForm(forms.Form):
    grade = forms.CharField(
        label=_("Grade"),
        max_length=10,
        required=False,
        help_text=_("Empty: the component is not recognised."),
    )
    reason = forms.CharField(
        label=_("Why (the student reads it)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class GradingTableUploadForm(forms.Form):
    """A home grading table from past grades (columns course_of_study or isced, academic_year,
    grade and optionally count)."""

    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none(), empty_label=None
    )
    scale = forms.ModelChoiceField(
        label=_("Grading scale"), queryset=GradingScale.objects.none(), empty_label=None
    )
    isced_code = forms.CharField(
        label=_("ISCED-F field"),
        max_length=4,
        help_text=_("2 to 4 digits, e.g. 0715: the courses whose field starts with it count."),
    )
    cycle = forms.ChoiceField(label=_("Cycle"), choices=Cycle.choices)
    file = forms.FileField(
        label=_("Past grades (CSV or XLSX)"),
        help_text=_(
            "Columns academic_year, grade, and course_of_study (a home course code) or isced; "
            "optionally count. At least two academic years."
        ),
        validators=[SPREADSHEET],
        widget=forms.ClearableFileInput(attrs={"accept": SPREADSHEET_ACCEPT}),
        error_messages={"required": _("Choose the file of past grades.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        institution = self.fields["institution"]
        scale = self.fields["scale"]
        assert isinstance(institution, forms.ModelChoiceField)
        assert isinstance(scale, forms.ModelChoiceField)
        # The home institution first: the tables built here are the home ones.
        institution.queryset = Institution.objects.order_by("-is_home", "name")
        scale.queryset = _scales()


class ExportForm(forms.Form):
    year = forms.TypedChoiceField(
        label=_("Academic year"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, years: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["year"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Every year")), *(years or [])]
