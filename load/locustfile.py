"""The load scenario (locust, headless; run by `python -m load`): staff sign in with password and
TOTP, then browse; client users sign in and view their pages.

Every simulated person is a seeded account of its own (a TOTP code is single-use, so two people
cannot share a device). Redirects are never followed silently: each request the scenario makes is
one request gunicorn serves and logs, which the checks compare afterwards.

Slices add pages in `load/pages_<slice>.py`: `STAFF_TASKS = [(weight, function)]` and
`CLIENT_TASKS`, each function taking the locust user (`user.client` is its HTTP session,
`user.get_page(path, name=...)` and `user.post_form(path, data, name=...)` check the answer).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from django_otp.oath import TOTP
from locust import HttpUser, between

from load import page_modules

ACCOUNTS = json.loads(open(os.environ["LOAD_USERS_FILE"], encoding="utf-8").read())  # noqa: SIM115
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    pool: list[dict[str, str]] = []
    csrf_token = ""

    def on_start(self) -> None:
        if not self.pool:
            raise RuntimeError("more simulated people than seeded accounts: seed more (load/seed.py)")
        self.account = self.pool.pop()
        self.sign_in()

    # --- helpers for tasks -------------------------------------------------------------------

    def get_page(self, path: str, *, name: str | None = None, expect: int = 200) -> Any:
        with self.client.get(path, name=name or path, allow_redirects=False, catch_response=True) as response:
            if response.status_code != expect:
                response.failure(
                    f"{path}: {response.status_code} {response.headers.get('Location', '')} {response.error or ''}"
                )
            else:
                found = CSRF_FIELD.search(response.text)
                if found:
                    self.csrf_token = found.group(1)
                response.success()
            return response

    def post_form(self, path: str, data: dict[str, str], *, name: str | None = None, expect: int = 302) -> Any:
        payload = dict(data, csrfmiddlewaretoken=self.csrf_token)
        with self.client.post(
            path, data=payload, name=name or path, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"POST {path}: {response.status_code} {response.error or ''}")
            else:
                response.success()
            return response

    def sign_in(self) -> None:
        self.get_page("/accounts/login/", name="sign-in page")
        response = self.post_form(
            "/accounts/login/",
            {"username": self.account["username"], "password": self.account["password"]},
            name="sign-in: password",
        )
        self.after_password(response.headers.get("Location", ""))

    def after_password(self, location: str) -> None:
        raise NotImplementedError

    def keepalive(self) -> None:
        with self.client.post(
            "/accounts/keepalive/",
            headers={"X-CSRFToken": self.csrf_token},
            name="keepalive",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 204:
                response.failure(f"keepalive: {response.status_code}")


def _tasks(attribute: str, own: list[tuple[int, Callable[[Any], None]]]) -> dict[Callable[[Any], None], int]:
    tasks = {function: weight for weight, function in own}
    for module in page_modules():
        tasks.update({function: weight for weight, function in getattr(module, attribute, [])})
    return tasks


def staff_workspace(user: Any) -> None:
    user.get_page("/staff/", name="staff: workspace")


def own_sessions(user: Any) -> None:
    user.get_page("/accounts/sessions/", name="own sessions")


def front_door(user: Any) -> None:
    user.get_page("/", name="front door (redirect)", expect=302)


def keepalive(user: Any) -> None:
    user.keepalive()


def portal_home(user: Any) -> None:
    user.get_page("/portal/", name="portal: my company")


class Staff(Person):
    weight = 3
    pool = list(ACCOUNTS["staff"])
    tasks = _tasks(  # type: ignore[assignment]  # locust takes {task: weight} too
        "STAFF_TASKS", [(6, staff_workspace), (2, own_sessions), (1, front_door), (1, keepalive)]
    )

    def after_password(self, location: str) -> None:
        if location != "/accounts/2fa/":
            raise RuntimeError(f"staff sign-in went to {location!r}, not the second factor")
        self.get_page("/accounts/2fa/", name="sign-in: TOTP page")
        totp = TOTP(bytes.fromhex(self.account["totp_key"]))
        code = str(totp.token()).zfill(6)
        response = self.post_form("/accounts/2fa/", {"token": code}, name="sign-in: TOTP")
        if response.headers.get("Location") != "/":
            raise RuntimeError(f"TOTP step went to {response.headers.get('Location')!r}")
        self.get_page("/", name="front door (redirect)", expect=302)
        self.get_page("/staff/", name="staff: workspace")


class Client(Person):
    weight = 2
    pool = list(ACCOUNTS["clients"])
    tasks = _tasks(  # type: ignore[assignment]  # locust takes {task: weight} too
        "CLIENT_TASKS", [(6, portal_home), (2, own_sessions), (1, keepalive)]
    )

    def after_password(self, location: str) -> None:
        if location != "/":
            raise RuntimeError(f"client sign-in went to {location!r}")
        self.get_page("/", name="front door (redirect)", expect=302)
        self.get_page("/portal/", name="portal: my company")
