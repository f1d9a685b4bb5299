"""Forms of the bookkeeping pages. Amounts and lines are checked again by the services."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import ArchiveCategory, TaxpayerType
from clients.services import MAX_YEAR, MIN_YEAR, LineInput
from clients.validators import validate_bank_account, validate_credit_code, validate_id_number

MAX_IMPORT_BYTES = 2 * 1024 * 1024


class ClientForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=40)
    taxpayer_type = forms.ChoiceField(label=_("Taxpayer type"), choices=TaxpayerType.choices)
    address = forms.CharField(label=_("Registered address"), max_length=2000, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=200, required=False)
    bank_account = forms.CharField(label=_("Bank account number"), max_length=60, required=False)

    def clean_credit_code(self) -> str:
        return validate_credit_code(self.cleaned_data["credit_code"])


def _year_choices() -> list[tuple[int, int]]:
    this_year = timezone.localdate().year
    return [(y, y) for y in range(this_year + 1, this_year - 11, -1)]


MONTHS = [(m, f"{m:02d}") for m in range(1, 13)]


class PeriodRangeForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    month_from = forms.TypedChoiceField(label=_("From month"), coerce=int, choices=MONTHS, initial=1)
    month_to = forms.TypedChoiceField(label=_("To month"), coerce=int, choices=MONTHS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("month_from") and data.get("month_to") and data["month_from"] > data["month_to"]:
            raise ValidationError(_("The first month must not come after the last."))
        return data


class MonthForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    month = forms.TypedChoiceField(label=_("Month"), coerce=int, choices=MONTHS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices()  # type: ignore[attr-defined]


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason for reopening"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Voucher file (.xlsx, from the template)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is too large (at most 2 MB)."))
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Upload the .xlsx template (other file types are not read)."))
        return upload


class VoucherEntry:
    """The voucher entry form: repeated line fields (account code, 摘要, debit, credit) from a POST."""

    def __init__(self, data: Any, accounts_by_code: dict[str, Any]) -> None:
        self.data = data
        self.accounts_by_code = accounts_by_code
        self.errors: list[str] = []
        self.date: datetime.date | None = None
        self.attachments = 0
        self.lines: list[LineInput] = []
        self.rows: list[dict[str, str]] = []

    def is_valid(self) -> bool:
        raw_date = (self.data.get("date") or "").strip()
        try:
            self.date = datetime.date.fromisoformat(raw_date)
            if not MIN_YEAR <= self.date.year <= MAX_YEAR:
                raise ValueError
        except ValueError:
            self.errors.append(str(_("Enter the voucher date as YYYY-MM-DD.")))
        raw_attachments = (self.data.get("attachments_count") or "0").strip()
        if not raw_attachments.isdigit() or int(raw_attachments) > 9999:
            self.errors.append(str(_("The number of attachments must be between 0 and 9999.")))
        else:
            self.attachments = int(raw_attachments)
        columns = [self.data.getlist(name) for name in ("account", "summary", "debit", "credit")]
        count = max((len(c) for c in columns), default=0)
        for index in range(min(count, 500)):
            account, summary, debit, credit = (c[index].strip() if index < len(c) else "" for c in columns)
            self.rows.append({"account": account, "summary": summary, "debit": debit, "credit": credit})
            if not any((account, summary, debit, credit)):
                continue
            code = account.split()[0] if account else ""
            target = self.accounts_by_code.get(code)
            self.lines.append(
                LineInput(
                    account_id=target.pk if target is not None else f"unknown:{code}",
                    summary=summary,
                    debit=debit or None,
                    credit=credit or None,
                )
            )
        return not self.errors


# --- Documents (portal-docs slice) -------------------------------------------------------------------

# What a client may file its uploads under (the firm re-files them if needed).
CLIENT_CATEGORIES = [
    ("source_voucher", _("Invoices, receipts and other source documents")),
    ("bank_statement", _("Bank statement")),
    ("tax_return", _("Tax return")),
    ("other", _("Other accounting material")),
]


def _document_year_choices() -> list[tuple[int, int]]:
    this_year = timezone.localdate().year
    return [(y, y) for y in range(this_year, this_year - 6, -1)]


class DocumentUploadForm(forms.Form):
    """The fields that go with uploaded files (the files themselves come from request.FILES "file")."""

    title = forms.CharField(label=_("Title (optional, for a single file)"), max_length=200, required=False)
    fiscal_year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int, choices=_document_year_choices)
    archive_category = forms.ChoiceField(label=_("Archive category"), choices=ArchiveCategory.choices)
    voucher = forms.UUIDField(required=False, widget=forms.HiddenInput)
    request = forms.UUIDField(required=False, widget=forms.HiddenInput)


class PortalUploadForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int, choices=_document_year_choices)
    archive_category = forms.ChoiceField(label=pgettext_lazy("document", "Kind of document"), choices=CLIENT_CATEGORIES)
    request = forms.UUIDField(required=False, widget=forms.HiddenInput)


class DocumentRequestForm(forms.Form):
    description = forms.CharField(
        label=_("Which document do you need?"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class RejectDocumentForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=500)


class LinkDocumentForm(forms.Form):
    document = forms.UUIDField(label=_("Document"))


# --- Employees (payroll) ---------------------------------------------------------------------------------


class EmployeeForm(forms.Form):
    """An employee as payroll needs them. The service checks the same rules again (any entry path)."""

    name = forms.CharField(label=pgettext_lazy("employee", "Name"), max_length=200)
    id_number = forms.CharField(
        label=_("Resident ID number (身份证号)"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bank_account = forms.CharField(
        label=_("Bank account for salary (optional)"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])

    def clean_bank_account(self) -> str:
        value = self.cleaned_data["bank_account"]
        return validate_bank_account(value) if value.strip() else ""
