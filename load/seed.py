"""`python -m load.seed OUT.json --staff N --clients M`: the people the load scenario signs in as.

Staff get a confirmed TOTP device whose key is written to OUT.json with the password, so the
scenario computes real codes (each simulated person signs in once: a TOTP code is single-use).
Run with the stack's environment (a throwaway database); never against a real firm's database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "Load-test-password-2026"  # noqa: S105 - a throwaway database's test accounts


@dataclass
class Seeded:
    staff: list[dict[str, str]] = field(default_factory=list)  # username, password, totp_key (hex)
    clients: list[dict[str, str]] = field(default_factory=list)  # username, password


def seed(*, staff: int, clients: int) -> Seeded:
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import services
    from accounts.models import StaffRole
    from load import page_modules

    # One Argon2 hash for everyone: hashing costs ~0.7 s of CPU here, per account.
    password_hash = make_password(PASSWORD)
    seeded = Seeded()
    roles = [StaffRole.BOOKKEEPER, StaffRole.REVIEWER, StaffRole.MANAGER]
    for n in range(staff):
        username = f"load_staff_{n:03d}"
        user = services.create_staff_user(
            username=username,
            email=f"{username}@load.firmportal.invalid",
            display_name=f"Load staff {n}",
            roles=[roles[n % len(roles)]],
            password=None,
            actor=None,
        )
        user.password = password_hash
        user.save(update_fields=["password"])
        device = TOTPDevice.objects.create(user=user, name="load", confirmed=True)
        seeded.staff.append({"username": username, "password": PASSWORD, "totp_key": device.key})
    for n in range(clients):
        username = f"load_client_{n:03d}"
        client_user = services.create_client_user(
            username=username,
            email=f"{username}@client.load.invalid",
            display_name=f"Load client {n}",
            password=None,
            actor=None,
        )
        client_user.password = password_hash
        client_user.save(update_fields=["password"])
        seeded.clients.append({"username": username, "password": PASSWORD})
    for module in page_modules():
        hook = getattr(module, "SEED", None)
        if hook is not None:
            hook(seeded)
    return seeded


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--staff", type=int, default=60)
    parser.add_argument("--clients", type=int, default=60)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firmportal.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    seeded = seed(staff=args.staff, clients=args.clients)
    args.out.write_text(json.dumps({"staff": seeded.staff, "clients": seeded.clients}), encoding="utf-8")
    args.out.chmod(0o600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
