from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from datarights.models import RequestKind
from datarights.services import ANSWER_MAX, DETAILS_MAX


class RequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What are you asking for?"),
        choices=RequestKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose what you are asking for.")},
    )
    details = forms.CharField(
        label=_("Details"),
        help_text=_("For a correction: which data is wrong and what it should be."),
        required=False,
        max_length=DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == RequestKind.CORRECTION and not (data.get("details") or "").strip():
            self.add_error("details", _("Please say which data is wrong and what it should be."))
        return data


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer to the client"),
        help_text=_("For a correction: what was corrected. Shown to the client."),
        required=False,
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RefuseForm(forms.Form):
    reasons = forms.CharField(
        label=_("Reasons for the refusal"),
        help_text=_("Required. Shown to the client (PIPL Art. 50)."),
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("A refusal must state its reasons.")},
    )

    def clean_reasons(self) -> str:
        reasons = (self.cleaned_data.get("reasons") or "").strip()
        if not reasons:
            raise forms.ValidationError(_("A refusal must state its reasons."))
        return reasons


STATE_FILTERS = [
    ("open", pgettext_lazy("data-rights filter", "Open")),
    ("overdue", pgettext_lazy("data-rights filter", "Overdue")),
    ("closed", pgettext_lazy("data-rights filter", "Closed")),
    ("all", pgettext_lazy("data-rights filter", "All")),
]
