"""Staff pages of a client's employees for payroll (/staff/clients/<client>/employees/...): the
roster with ID numbers and bank accounts masked (revealed one at a time through the access slice's
purpose-bound reveal), adding an employee and removing one who left.

Who may do what, in the access layer's client permissions:
- read the roster: `clients.view_books` (everyone working on the client's books, a temporary
  grant, and under a processing lock the archivist alone);
- add and remove: `clients.prepare_vouchers` (the bookkeeper who prepares the payroll) or
  `clients.manage_client` (the engagement manager). Both are change permissions, so a lock on the
  whole client drops them and the add and remove pages are missing (404) for everyone;
- reveal a full ID number or account: `clients.reveal_secret`, with a stated purpose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import staff_required
from audit import services as audit
from clients import services
from clients.forms import EmployeeForm
from clients.keycache import preload_for
from clients.models import Client, Employee, Engagement, EngagementState
from confidentiality import access, secret_fields

VIEW = "clients.view_books"
EDIT = ("clients.prepare_vouchers", "clients.manage_client")


@dataclass(frozen=True)
class EmployeeRow:
    employee: Employee
    id_masked: str
    bank_masked: str


def _may_edit(request: HttpRequest, client: Client) -> bool:
    return any(access.has_client_perm(request.user, perm, client) for perm in EDIT)


def _editable_client(request: HttpRequest, client_id: uuid.UUID) -> Client:
    """The client, when this user may change its employees now; `Http404` (and a denied event) otherwise."""
    client = access.get_client_for_user(request, client_id, perm=VIEW)
    if not _may_edit(request, client):
        access.record_denied(request, client_id=client.pk, object_type="clients.employee")
        raise Http404
    return client


def _active_engagement(client: Client) -> Engagement | None:
    return Engagement.objects.filter(client=client, state=EngagementState.ACTIVE).first()


def _roster(request: HttpRequest, client: Client, form: EmployeeForm, *, status: int = 200) -> HttpResponse:
    """The roster page (one access event listing the employees shown). Constant query count."""
    engagement = _active_engagement(client)
    employees = list(
        access.visible_to(request.user, Employee.objects.filter(client=client), perm=VIEW)
        .select_related("engagement")
        .order_by("created_at", "pk")
    )
    preload_for(employees, "name", "id_number", "bank_account")
    rows = [
        EmployeeRow(
            employee=e,
            id_masked=secret_fields.masked_tail(e.id_number),
            bank_masked=secret_fields.masked_tail(e.bank_account) if e.bank_account else "",
        )
        for e in employees
    ]
    current = [row for row in rows if engagement is not None and row.employee.engagement_id == engagement.pk]
    others: dict[Any, list[EmployeeRow]] = {}
    for row in rows:
        if engagement is None or row.employee.engagement_id != engagement.pk:
            others.setdefault(row.employee.engagement, []).append(row)
    audit.record_access(
        request=request,
        action="list",
        client_ref=str(client.pk),
        object_type="clients.employee",
        object_ids=[str(e.pk) for e in employees],
    )
    return render(
        request,
        "clients/employee_list.html",
        {
            "client": client,
            "engagement": engagement,
            "current": current,
            "others": list(others.items()),
            "form": form,
            "can_edit": _may_edit(request, client),
        },
        status=status,
    )


@require_GET
@staff_required
def employee_list(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = access.get_client_for_user(request, client_id, perm=VIEW)
    return _roster(request, client, EmployeeForm())


@require_POST
@staff_required
def employee_add(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = _editable_client(request, client_id)
    form = EmployeeForm(request.POST)
    engagement = _active_engagement(client)
    if engagement is None:
        form.add_error(None, _("Employees are recorded only during an active engagement."))
    if form.is_valid() and engagement is not None:
        try:
            services.record_employee(
                engagement,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
                bank_account=form.cleaned_data["bank_account"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The employee was added."))
            return redirect("clients:employees", client_id=client.pk)
    return _roster(request, client, form, status=400)


@require_POST
@staff_required
def employee_remove(request: HttpRequest, client_id: uuid.UUID, employee_id: uuid.UUID) -> HttpResponse:
    client = _editable_client(request, client_id)
    employee = access.get_object_for_user(request, Employee, employee_id, perm=VIEW)
    if employee.client_id != client.pk:
        raise Http404
    try:
        services.remove_employee(employee, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The employee was removed; their personal data is no longer held."))
    return redirect("clients:employees", client_id=client.pk)
