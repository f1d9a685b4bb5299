from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import UserKind

KIND_CHOICES = [
    ("", _("Everyone")),
    (UserKind.STAFF, _("The firm's staff")),
    (UserKind.CLIENT, _("Our users and delegates")),
]


class HistoryFilterForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Who"), choices=KIND_CHOICES, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data


class PeriodForm(forms.Form):
    """Which closed period a report is about: `YYYY-MM`, one of the choices given (open periods never are)."""

    period = forms.ChoiceField(
        label=pgettext_lazy("accounting period", "Period"),
        error_messages={"invalid_choice": _("Choose one of the closed periods in the list.")},
    )

    def __init__(self, *args: Any, periods: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["period"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = periods

    @staticmethod
    def split(value: str) -> tuple[int, int]:
        year, month = value.split("-")
        return int(year), int(month)


class AcknowledgeForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have read this commitment and privacy notice."),
        error_messages={"required": _("Tick the box to acknowledge the notice.")},
    )


class CommitmentDraftForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    body_zh = forms.CharField(label=_("Text (Chinese)"), widget=forms.Textarea(attrs={"rows": 12}))
    body_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 12}))
