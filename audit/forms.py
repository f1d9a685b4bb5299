"""Forms of the compliance desk."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.models import AlertRule, Severity
from audit.queries import Filters

KINDS = [
    ("access", _("Reads (access log)")),
    ("domain", _("Actions (domain events)")),
    ("changelog", _("Record changes (change log)")),
]


class ExplorerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Trail"), choices=KINDS, required=False)
    person = forms.ModelChoiceField(
        label=_("Person"), queryset=User.objects.order_by("username"), required=False, empty_label=_("Anyone")
    )
    client = forms.CharField(label=_("Client reference"), max_length=64, required=False)
    action = forms.CharField(label=_("Action"), max_length=64, required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            person=data.get("person"),
            client_ref=(data.get("client") or "").strip(),
            action=(data.get("action") or "").strip(),
            since=data.get("since"),
            until=data.get("until"),
        )

    def trail(self) -> str:
        return self.cleaned_data.get("kind") or "access"


class PeriodForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class AlertActionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("What to do"),
        choices=[
            ("acknowledge", _("Acknowledge")),
            ("escalate", _("Escalate")),
            ("close", _("Close")),
            ("note", _("Add a note")),
        ],
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


class AlertRuleForm(forms.ModelForm):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)

    class Meta:
        model = AlertRule
        fields = ["enabled", "threshold", "window_minutes", "severity", "work_start", "work_end", "weekdays_only"]
        widgets = {
            "work_start": forms.TimeInput(attrs={"type": "time"}),
            "work_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean_threshold(self) -> int:
        value = self.cleaned_data["threshold"]
        if value < 1:
            raise forms.ValidationError(_("The threshold must be at least 1."))
        return int(value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("work_start"), data.get("work_end")
        if start and end and start >= end:
            raise forms.ValidationError(_("The working day must end after it starts."))
        return data

    def clean_window_minutes(self) -> int:
        value = self.cleaned_data["window_minutes"]
        if not 1 <= value <= 7 * 24 * 60:
            raise forms.ValidationError(_("The window must be between 1 minute and 7 days."))
        return int(value)
