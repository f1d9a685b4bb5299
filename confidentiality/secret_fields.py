"""Secret fields (ID numbers, bank accounts, payroll): masked by default, revealed with a stated purpose.

A model declares its secret fields with a class attribute, e.g. `SECRET_FIELDS = ("bank_account",)`;
its rows must be client-scoped (a `client` foreign key). Revealing one is a logged read
(`AccessEvent` action "reveal", with the purpose), which the client sees on their access page.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from audit import services as audit
from confidentiality import access
from confidentiality.models import AccessPurpose

MASK = "••••••••"
REVEAL = "reveal"


def masked_tail(value: str, keep: int = 4) -> str:
    """A secret shown masked on a page: only its last `keep` characters, enough to tell two apart."""
    return "•••• " + value[-keep:] if len(value) > keep else "••••"


def secret_fields(model: type[models.Model] | models.Model) -> tuple[str, ...]:
    return tuple(getattr(model, "SECRET_FIELDS", ()) or ())


def secret_model(label: str) -> type[models.Model] | None:
    """The model named "app_label.model" if it declares secret fields."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    return model if secret_fields(model) else None


def purpose_text(purpose: str, detail: str) -> str:
    if purpose not in AccessPurpose.values:
        raise ValidationError(_("Choose a purpose from the list."), code="purpose")
    text = (detail or "").strip()
    if not text:
        raise ValidationError(_("Say in your own words why you need to see this."), code="purpose_empty")
    return f"{purpose}: {text}"[:200]


@transaction.atomic
def reveal_secret(request: HttpRequest, obj: models.Model, field: str, *, purpose: str, detail: str) -> Any:
    """The plaintext of one secret field, after the purpose is stated and the read is logged.

    The caller loaded `obj` through the access layer with `clients.reveal_secret`.
    """
    if field not in secret_fields(obj):
        raise ValidationError(_("This field cannot be revealed."), code="field")
    stated = purpose_text(purpose, detail)
    client_id = access.client_id_of(obj)
    if not access.has_client_perm(request.user, "clients.reveal_secret", client_id):
        raise ValidationError(_("You are not allowed to do this."), code="forbidden")
    audit.record_access(
        request=request,
        action=REVEAL,
        client_ref=str(client_id),
        object_type=f"{obj._meta.label_lower}.{field}",
        object_ids=[str(obj.pk)],
        purpose=stated,
    )
    return getattr(obj, field)
