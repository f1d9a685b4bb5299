"""Default data: the firm's periods (the legal minimums) and who signs and supervises destruction.

Kept as data so a migration and the tests share it; the archivist may change both later.
"""

from __future__ import annotations

from typing import Any

# code, label, purpose, staff role, electronic records only, position
SLOTS: list[tuple[str, str, str, str, bool, int]] = [
    ("firm_head", "单位负责人", "sign", "firm_head", False, 1),
    ("archives_head", "档案管理机构负责人", "sign", "archivist", False, 2),
    ("accounting_head", "会计管理机构负责人", "sign", "manager", False, 3),
    ("archives_handler", "档案管理机构经办人", "sign", "archivist", False, 4),
    ("accounting_handler", "会计管理机构经办人", "sign", "manager", False, 5),
    ("it_head", "信息系统管理机构", "sign", "it_admin", True, 6),
    ("supervise_archives", "档案管理机构监销人", "supervise", "archivist", False, 1),
    ("supervise_accounting", "会计管理机构监销人", "supervise", "manager", False, 2),
    ("supervise_it", "信息系统管理机构监销人", "supervise", "it_admin", True, 3),
]


def seed_defaults(rule_model: Any, slot_model: Any) -> None:
    """Create missing rules and slots (idempotent; never overwrites the firm's changes)."""
    from retention.schedule import LEGAL_MINIMUM

    for category, period in LEGAL_MINIMUM.items():
        rule_model.objects.get_or_create(category=str(category), defaults={"years": period.years})
    for code, label, purpose, role, electronic_only, position in SLOTS:
        slot_model.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "purpose": purpose,
                "staff_role": role,
                "electronic_only": electronic_only,
                "position": position,
            },
        )
