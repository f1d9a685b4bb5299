"""Which capabilities each staff role holds. Kept as data so a migration and tests share it."""

from __future__ import annotations

from typing import Any

from accounts.models import StaffRole

ALL_STAFF = {"view_staff_workspace"}

ROLE_CAPABILITIES: dict[str, set[str]] = {
    StaffRole.BOOKKEEPER: ALL_STAFF | {"prepare_vouchers"},
    StaffRole.REVIEWER: ALL_STAFF | {"review_vouchers"},
    StaffRole.MANAGER: ALL_STAFF
    | {
        "manage_clients",
        "manage_assignments",
        "approve_access",
        "emergency_access",
        "reopen_periods",
        "sign_destruction",
    },
    StaffRole.ARCHIVIST: ALL_STAFF | {"manage_retention", "sign_destruction"},
    StaffRole.IT_ADMIN: ALL_STAFF | {"manage_keys", "manage_backups", "sign_destruction"},
    # Incident containment includes offboarding the person concerned (one click on the incident).
    StaffRole.COMPLIANCE_OFFICER: ALL_STAFF | {"view_compliance_desk", "offboard_staff"},
    StaffRole.FIRM_HEAD: ALL_STAFF | {"receive_compliance_reports", "sign_destruction", "approve_access"},
    StaffRole.FIRM_ADMIN: ALL_STAFF | {"offboard_staff", "use_console", "manage_assignments"},
}


def sync_roles(group_model: Any, permission_model: Any, content_type_model: Any) -> None:
    """Create one group per role and give it exactly its capabilities (idempotent).

    Takes the model classes so a data migration can pass its historical models.
    """
    capability_ct, _ = content_type_model.objects.get_or_create(app_label="accounts", model="capability")
    for role, codenames in ROLE_CAPABILITIES.items():
        group, _ = group_model.objects.get_or_create(name=str(role))
        permissions = []
        for codename in sorted(codenames):
            permission, _ = permission_model.objects.get_or_create(
                content_type=capability_ct, codename=codename, defaults={"name": codename.replace("_", " ")}
            )
            permissions.append(permission)
        group.permissions.set(permissions)
