"""Forms of the retention pages: validation with messages in the user's language."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django import forms
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from retention.models import HoldKind
from retention.schedule import Category

_CODE = re.compile(r"^[0-9a-fA-F]{8}$")


def find_client(value: str) -> Client | None:
    """A client by its id or by its archive code (the 8 characters that start every 档案编号,
    e.g. "1A2B3C4D" of "1A2B3C4D-2015-journal_voucher"). None when missing or ambiguous."""
    text = value.strip()
    if "-" in text and _CODE.match(text.split("-", 1)[0]) and not _is_uuid(text):
        text = text.split("-", 1)[0]
    if _is_uuid(text):
        return Client.objects.filter(pk=uuid.UUID(text)).first()
    if not _CODE.match(text):
        return None
    found = list(
        Client.objects.annotate(id_text=Cast("id", CharField())).filter(id_text__startswith=text.lower()).only("id")[:2]
    )
    return found[0] if len(found) == 1 else None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class HoldForm(forms.Form):
    client = forms.CharField(
        label=_("Client (archive code or id)"),
        max_length=64,
        help_text=_("The 8 characters that start the archive code, e.g. 1A2B3C4D."),
    )
    kind = forms.ChoiceField(label=_("Kind of hold"), choices=HoldKind.choices)
    reason = forms.CharField(
        label=_("Why (the matter, the notice or case number)"),
        max_length=2000,
        error_messages={"required": _("Say why the records are held.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    until = forms.DateField(
        label=_("Held until"),
        required=False,
        help_text=_("Leave empty to hold until released."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    fiscal_year = forms.IntegerField(label=_("Fiscal year (optional)"), required=False, min_value=1900, max_value=2200)
    category = forms.ChoiceField(
        label=_("Archive category (optional)"),
        required=False,
        choices=[("", _("Every category")), *Category.choices],
    )

    def clean_client(self) -> Client:
        client = find_client(self.cleaned_data.get("client", ""))
        if client is None:
            raise forms.ValidationError(_("No client has this archive code or id."))
        return client

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data.get("reason", "")).strip()
        if not reason:
            raise forms.ValidationError(_("Say why the records are held."))
        return reason

    def clean_until(self) -> dt.date | None:
        until: dt.date | None = self.cleaned_data.get("until")
        if until is not None and until < timezone.localdate():
            raise forms.ValidationError(_("A hold cannot end in the past."))
        return until

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "client": data["client"],
            "kind": data["kind"],
            "reason": data["reason"],
            "until": data.get("until"),
            "fiscal_year": data.get("fiscal_year"),
            "category": data.get("category") or "",
        }


class OpenMatterForm(forms.Form):
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), min_value=1900, max_value=2200)
    voucher_number = forms.IntegerField(
        label=_("Voucher number (optional)"),
        required=False,
        min_value=1,
        max_value=999999,
        help_text=_("Leave empty to hold every record of the year."),
    )
    month = forms.IntegerField(label=_("Month of the voucher"), required=False, min_value=1, max_value=12)
    note = forms.CharField(label=_("What is still open"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_note(self) -> str:
        note = str(self.cleaned_data.get("note", "")).strip()
        if not note:
            raise forms.ValidationError(_("Say what is still open."))
        return note

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("voucher_number") is not None and data.get("month") is None:
            self.add_error("month", _("Give the month of the voucher."))
        return data
