from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the hold"),
        max_length=200,
        help_text=_("For example the incident or legal matter that needs this backup kept."),
    )
