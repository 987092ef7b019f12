"""The forms of the EWP pages: they read what was typed; whether a document is valid EWP is
for :mod:`abroad.ewp.services` to say (its refusals are shown as they are)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.models import Agreement
from abroad.ewp.models import Inbound
from abroad.ewp.xml import size_text


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=Inbound.Kind.choices)
    file = forms.FileField(
        label=_("XML file"),
        validators=[FileExtensionValidator(["xml"])],
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.EWP_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(size)s, the most an EWP document may be.")
                % {"size": size_text(limit)}
            )
        return upload


class AcceptForm(forms.Form):
    """Which agreement a partner's copy goes into: the matched one (fixed), or one of the
    partner's agreements picked here, or a new one with the reference given."""

    agreement = forms.ModelChoiceField(
        label=_("Into the agreement"),
        queryset=Agreement.objects.none(),
        required=False,
        empty_label=_("A new agreement"),
    )
    code = forms.CharField(
        label=_("Reference of the new agreement"),
        max_length=40,
        required=False,
        help_text=_("Left empty: EWP- followed by the partner's IIA code."),
    )

    def __init__(self, *args: Any, partner_hei: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agreement"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Agreement.objects.filter(partner__schac_code__iexact=partner_hei)
            .select_related("partner")
            .order_by("code")
            if partner_hei
            else Agreement.objects.none()
        )
