"""The student's forms of a mobility: a document upload, the thesis details, the learning
agreement editor (a header form and one formset per table) and the extension request.

The editor's forms never decide what is right: they read the rows as typed into
:class:`abroad.mobility.checks.Row` values, and :func:`abroad.mobility.checks.check` says what
is wrong. They only refuse what cannot be stored (a code too long, ECTS that are not a number,
a row without ECTS)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from abroad.core.enums import Language
from abroad.core.formfields import ListedModelChoiceField
from abroad.mobility import checks
from abroad.mobility.enums import ComponentStatus, DocumentKind, ReasonCode, Stage, Table
from abroad.mobility.models import LANGUAGE_LEVELS, Document

# Empty rows offered under the rows of each table (saving offers as many new ones again; the
# editor's "Add a row" adds more at once, up to MAX_ROWS).
EXTRA_ROWS = {Table.A: 3, Table.B: 3, Table.C: 1}
# The most rows a table may have (a learning agreement lists a semester's or a year's courses).
MAX_ROWS = 40


class DocumentForm(forms.Form):
    """A file for the mobility. The file itself is judged by the service (its type from its
    first bytes, its size, not empty), so that every refusal reads the same everywhere."""

    kind = forms.ChoiceField(
        label=_("Kind of document"),
        choices=[("", _("Choose…")), *DocumentKind.choices],
        required=False,
    )
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG)"),
        allow_empty_file=True,
        error_messages={"required": _("Choose the file to upload.")},
    )
    replaces = ListedModelChoiceField(
        label=_("Replaces (optional)"),
        queryset=Document.objects.none(),
        required=False,
        empty_label=_("Nothing: a new document"),
        error_messages={"invalid_choice": _("That document cannot be replaced any more.")},
    )

    def __init__(
        self,
        *args: Any,
        documents: Any = None,
        loaded: Sequence[Document] | None = None,
        **kwargs: Any,
    ) -> None:
        """``documents``: the queryset of the documents that may be replaced (a submitted
        choice is checked against it); ``loaded``: those same documents, when the page has
        already read them, to offer without a query."""
        super().__init__(*args, **kwargs)
        field = self.fields["replaces"]
        assert isinstance(field, ListedModelChoiceField)
        if documents is not None:
            field.queryset = documents
        field.loaded = loaded


class ThesisForm(forms.Form):
    home_supervisor = forms.CharField(
        label=_("Home thesis supervisor"), max_length=200, required=False
    )
    host_supervisor = forms.CharField(
        label=_("Host thesis supervisor"), max_length=200, required=False
    )
    thesis_credits = forms.IntegerField(
        label=_("Thesis credits (ECTS)"), min_value=1, max_value=60, required=False
    )


class AgreementForm(forms.Form):
    """The learning agreement's header: the language of instruction and the student's level."""

    language = forms.ChoiceField(
        label=_("Language of instruction"),
        choices=[("", _("Choose…")), *Language.choices],
        required=False,
    )
    language_level = forms.ChoiceField(
        label=_("Your level in that language"),
        choices=[("", _("Choose…")), *LANGUAGE_LEVELS],
        required=False,
    )


class ComponentForm(forms.Form):
    """One row of a table. ``table`` and ``stage`` decide which fields it has: the thesis
    checkbox in table B only, the change status and its reason in a change version only."""

    code = forms.CharField(label=_("Code"), max_length=40, required=False)
    title = forms.CharField(label=_("Title"), max_length=250, required=False)
    term = forms.CharField(label=_("Term"), max_length=60, required=False)
    ects = forms.DecimalField(
        label=_("ECTS"),
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.5"),
        max_value=Decimal(60),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
        error_messages={"invalid": _("Write the ECTS as a number, e.g. 6 or 7.5.")},
    )
    is_thesis = forms.BooleanField(label=_("Thesis credits"), required=False)
    status = forms.ChoiceField(label=_("Change"), choices=ComponentStatus.choices, required=False)
    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("No reason")), *ReasonCode.choices], required=False
    )
    reason_text = forms.CharField(label=_("Reason, explained"), max_length=300, required=False)

    def __init__(self, *args: Any, table: str = Table.A, stage: str = Stage.BEFORE, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.table = table
        if table != Table.B:
            del self.fields["is_thesis"]
        if stage != Stage.DURING:
            for name in ("status", "reason_code", "reason_text"):
                del self.fields[name]
        elif not self.initial:
            # a new row of a change is an added component
            self.fields["status"].initial = ComponentStatus.INSERTED

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_content = bool(data.get("title") or data.get("code"))
        if has_content and data.get("ects") is None and "ects" not in self.errors:
            self.add_error("ects", _("Give the ECTS credits, e.g. 6."))
        return data

    def row(self) -> checks.Row | None:
        """The row as typed (what could be read of it), or None for an empty or removed row."""
        data = getattr(self, "cleaned_data", {})
        if data.get("DELETE"):
            return None
        title = (data.get("title") or "").strip()
        code = (data.get("code") or "").strip()
        ects = data.get("ects")
        if "ects" in self.errors:
            ects = None
        if not (title or code or ects is not None or self._typed_ects()):
            return None
        return checks.Row(
            table=self.table,
            title=title,
            code=code,
            term=(data.get("term") or "").strip(),
            ects=ects,
            is_thesis=bool(data.get("is_thesis")),
            status=data.get("status") or ComponentStatus.UNCHANGED,
            reason_code=data.get("reason_code") or "",
            reason_text=(data.get("reason_text") or "").strip(),
        )

    def _typed_ects(self) -> bool:
        """Something not a number was typed in the ECTS field (the row is not empty)."""
        return bool(
            self.is_bound and "ects" in self.errors and self.data.get(self.add_prefix("ects"))
        )


class BaseComponentFormSet(BaseFormSet[ComponentForm]):
    table: str = Table.A

    def add_fields(self, form: ComponentForm, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")

    def rows(self) -> list[checks.Row]:
        """The rows as typed, in the order of the form (call after ``is_valid``)."""
        return [row for form in self.forms if (row := form.row()) is not None]


def component_formsets(
    *, stage: str, data: Any = None, initial: dict[str, list[dict[str, Any]]] | None = None
) -> list[BaseComponentFormSet]:
    """One formset per table (prefixes ``A``, ``B``, ``C``), each with a few empty rows and at
    most ``MAX_ROWS`` rows (its management form tells the editor's "Add a row")."""
    formsets: list[BaseComponentFormSet] = []
    for table in Table.values:
        rows = (initial or {}).get(table, [])
        formset_class = cast(
            "type[BaseComponentFormSet]",
            formset_factory(
                ComponentForm,
                formset=BaseComponentFormSet,
                extra=EXTRA_ROWS[Table(table)],
                can_delete=True,
                max_num=MAX_ROWS,
                validate_max=True,
            ),
        )
        formset = formset_class(
            data,
            initial=rows,
            prefix=table,
            form_kwargs={"table": table, "stage": stage},
        )
        formset.table = table
        formsets.append(formset)
    return formsets


class ExtensionForm(forms.Form):
    requested_end = forms.DateField(
        label=_("New end of the mobility"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Write the date as YYYY-MM-DD.")},
    )
    reason = forms.CharField(
        label=_("Why you ask for it"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )
    form = forms.FileField(
        label=_("Extension form signed by the host (PDF, JPEG or PNG)"),
        allow_empty_file=True,
        error_messages={"required": _("Upload the extension form signed by the host.")},
    )


class PlannedDatesForm(forms.Form):
    """The planned start and end; whether they fit the seat is the service's word
    (:func:`abroad.mobility.services.planned_dates_problem`)."""

    planned_start = forms.DateField(
        label=_("Planned start"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Write the date as YYYY-MM-DD.")},
    )
    planned_end = forms.DateField(
        label=_("Planned end"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Write the date as YYYY-MM-DD.")},
    )


class CertificateForm(forms.Form):
    """The host's arrival or departure certificate, with the date it bears."""

    kind = forms.ChoiceField(
        label=_("Kind of certificate"),
        choices=[
            (DocumentKind.ARRIVAL, _("Arrival certificate")),
            (DocumentKind.DEPARTURE, _("Departure certificate")),
        ],
    )
    day = forms.DateField(
        label=_("Date on the certificate"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Write the date as YYYY-MM-DD.")},
    )
    file = forms.FileField(
        label=_("The certificate (PDF, JPEG or PNG)"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
        error_messages={"required": _("Choose the file to upload.")},
    )
