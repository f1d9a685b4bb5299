"""Forms of the access pages. None of them carries a client id or a state: those come from the URL and the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User, UserKind
from confidentiality.models import AccessPurpose, AssignmentRole, DelegateScope


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role on this client"), choices=AssignmentRole.choices)
    ends_at = forms.DateTimeField(
        label=_("End date (optional)"), required=False, widget=LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every user is offered as-is so the service can refuse a non-staff choice with its own message.
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]

    def clean_ends_at(self) -> datetime | None:
        return _aware(self.cleaned_data.get("ends_at"))


class ClientRefForm(forms.Form):
    client = forms.UUIDField(
        label=_("Client reference"), help_text=_("The client's reference number, as given to you.")
    )


class PurposeForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=AccessPurpose.choices)
    purpose_detail = forms.CharField(
        label=_("Purpose, in your words"),
        max_length=200,
        error_messages={"required": _("Say in your own words why you need this.")},
    )


class AccessRequestForm(ClientRefForm, PurposeForm):
    ends_at = forms.DateTimeField(
        label=_("Access until"), widget=LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )

    def clean_ends_at(self) -> datetime | None:
        return _aware(self.cleaned_data.get("ends_at"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("What the review found"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write what the review found.")},
    )
    end_now = forms.BooleanField(label=_("End this access now"), required=False)


class OffboardForm(forms.Form):
    confirm_username = forms.CharField(label=_("Type the user name to confirm"), max_length=150)
    exit_acknowledged = forms.BooleanField(
        label=_("The leaver signed the exit confidentiality acknowledgement"), required=False
    )

    def __init__(self, *args: Any, username: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.username = username

    def clean_confirm_username(self) -> str:
        value = self.cleaned_data["confirm_username"].strip()
        if value != self.username:
            raise forms.ValidationError(_("The user name does not match."))
        return value


class InviteDelegateForm(forms.Form):
    email = forms.EmailField(label=_("Delegate's e-mail address"))
    scope = forms.MultipleChoiceField(
        label=_("Pages the delegate may read"),
        choices=DelegateScope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one page the delegate may read.")},
    )
    ends_at = forms.DateTimeField(
        label=_("Access until"), widget=LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )

    def clean_ends_at(self) -> datetime | None:
        return _aware(self.cleaned_data.get("ends_at"))


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            raise forms.ValidationError(_("The two passwords differ."))
        return data


STAFF_KIND = UserKind.STAFF
