from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from confidentiality.models import DataKey, DataKeyState


class RotateDataKeysForm(forms.Form):
    """Which client's data keys to rotate: one client by id, or every client."""

    client_id = forms.UUIDField(
        label=_("Client id"), required=False, error_messages={"invalid": _("Enter a client id (a UUID).")}
    )
    all_clients = forms.BooleanField(label=_("Every client"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        client_id = data.get("client_id")
        if bool(client_id) == bool(data.get("all_clients")):
            if not self.errors:
                raise forms.ValidationError(_("Choose one client, or every client."))
            return data
        if client_id and not DataKey.objects.filter(owner=f"client:{client_id}", state=DataKeyState.ACTIVE).exists():
            self.add_error("client_id", _("No client with this id has data keys to rotate."))
        return data
