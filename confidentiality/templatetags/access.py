"""Object permissions in templates: `{% load access %}`.

{% if "view_books" in user|client_perms:client %} ... {% endif %}
{% has_client_perm user "clients.view_books" client as can_view_books %}
"""

from __future__ import annotations

from typing import Any

from django import template

from confidentiality import access

register = template.Library()


@register.filter
def client_perms(user: Any, obj: Any) -> frozenset[str]:
    """The client permission codenames `user` holds on `obj` (a client or a client-scoped object)."""
    if obj is None:
        return frozenset()
    try:
        client_id = obj.pk if obj.__class__.__name__ == "Client" else access.client_id_of(obj)
    except TypeError:
        return frozenset()
    return access.client_permissions(user, client_id)


@register.simple_tag
def has_client_perm(user: Any, perm: str, obj: Any) -> bool:
    return f"{perm}".rpartition(".")[2] in client_perms(user, obj)


@register.inclusion_tag("confidentiality/access/secret_masked.html", takes_context=True)
def secret_field(context: Any, obj: Any, field: str, masked: str = "") -> dict[str, Any]:
    """A secret field, masked, with a "Reveal" link (htmx swaps in the purpose form, then the value).

    `{% secret_field employee "id_number" %}` on any client-scoped model declaring SECRET_FIELDS;
    `masked` replaces the bare mask with the page's own partial mask (e.g. the last four digits).
    """
    from confidentiality import secret_fields as secrets

    if field not in secrets.secret_fields(obj):
        raise template.TemplateSyntaxError(f"{obj._meta.label} does not declare {field!r} secret")
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "obj": obj,
        "model": obj._meta.label_lower,
        "field": field,
        "mask": masked or secrets.MASK,
        "can_reveal": user is not None and "reveal_secret" in client_perms(user, obj),
    }
