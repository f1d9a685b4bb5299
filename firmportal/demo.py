"""The demo firm. Every account here is created through the same services as real ones."""

from __future__ import annotations

from django.db import transaction

from accounts import services as account_services
from accounts.models import StaffRole, User

DEMO_PASSWORD = "FirmPortal-demo-2026"  # noqa: S105 - printed for the demo; never in production

DEMO_STAFF: list[tuple[str, str, str, list[str]]] = [
    ("head_wang", "王总 (Wang, firm head)", "head_wang@demo.firmportal.invalid", [StaffRole.FIRM_HEAD]),
    ("manager_li", "李经理 (Li, manager)", "manager_li@demo.firmportal.invalid", [StaffRole.MANAGER]),
    ("bookkeeper_zhang", "张会计 (Zhang, bookkeeper)", "zhang@demo.firmportal.invalid", [StaffRole.BOOKKEEPER]),
    ("bookkeeper_chen", "陈会计 (Chen, bookkeeper)", "chen@demo.firmportal.invalid", [StaffRole.BOOKKEEPER]),
    ("reviewer_liu", "刘审核 (Liu, reviewer)", "liu@demo.firmportal.invalid", [StaffRole.REVIEWER]),
    ("archivist_zhao", "赵档案 (Zhao, archivist)", "zhao@demo.firmportal.invalid", [StaffRole.ARCHIVIST]),
    ("it_sun", "孙工 (Sun, IT)", "sun@demo.firmportal.invalid", [StaffRole.IT_ADMIN]),
    ("compliance_zhou", "周监督 (Zhou, compliance)", "zhou@demo.firmportal.invalid", [StaffRole.COMPLIANCE_OFFICER]),
    ("admin_wu", "吴管理员 (Wu, firm admin)", "wu@demo.firmportal.invalid", [StaffRole.FIRM_ADMIN]),
]

DEMO_CLIENT_USERS: list[tuple[str, str, str]] = [
    ("owner_huang", "黄总 (Huang, client owner)", "huang@client.demo.invalid"),
    ("finance_xu", "徐会计 (Xu, client finance)", "xu@client.demo.invalid"),
]


@transaction.atomic
def seed() -> list[tuple[str, str]]:
    """Create what is missing and return (username, role) for every demo sign-in."""
    listed: list[tuple[str, str]] = []
    for username, name, email, roles in DEMO_STAFF:
        if not User.objects.filter(username=username).exists():
            account_services.create_staff_user(
                username=username, email=email, display_name=name, roles=roles, password=DEMO_PASSWORD, actor=None
            )
        listed.append((username, ", ".join(str(r.label) for r in map(StaffRole, roles))))
    for username, name, email in DEMO_CLIENT_USERS:
        if not User.objects.filter(username=username).exists():
            account_services.create_client_user(
                username=username, email=email, display_name=name, password=DEMO_PASSWORD, actor=None
            )
        listed.append((username, "client"))
    from compliance.demo import seed_compliance

    # Demo staff have accepted the NDA and passed confidentiality training, so the access gate is open.
    seed_compliance(officer=User.objects.get(username="compliance_zhou"))
    from clients.demo import seed_books

    seed_books()
    return listed
