"""The security suite (`make security`): every test under tests/security/ carries the `security` mark,
so `pytest -m security` selects it wherever other slices add modules here."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import User
from tests import cast
from tests.security.personas import Personas

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.security)


@pytest.fixture
def personas(bookkeeper_alice: User, firm_admin: User, client_a_owner: User, client_b_owner: User) -> Personas:
    """Signed-in test clients for each kind of visitor the security checks walk the site as."""
    from accounts.models import StaffRole

    superuser = cast.make_staff("console_superuser", StaffRole.FIRM_ADMIN)
    superuser.is_superuser = True
    superuser.save()
    return Personas(
        users={
            "staff": bookkeeper_alice,
            "firm_admin": firm_admin,
            "superuser": superuser,
            "client": client_a_owner,
            "other_client": client_b_owner,
        },
        sign_in=cast.signed_in,
    )
