"""Who the security checks visit the site as: anonymous, staff, a firm admin, a client user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.test import Client as HttpClient

from accounts.models import User

# The visitors every URL is requested as. `other_client` is the party whose data must never leak.
VISITORS = ("anonymous", "staff", "firm_admin", "superuser", "client")


@dataclass
class Personas:
    users: dict[str, User]
    sign_in: Callable[[User], HttpClient]
    _clients: dict[str, HttpClient] = field(default_factory=dict)

    def client(self, name: str, *, enforce_csrf_checks: bool = False) -> HttpClient:
        """A test client for `name` (a new one when CSRF is enforced, a cached one otherwise)."""
        if enforce_csrf_checks:
            http = HttpClient(enforce_csrf_checks=True)
            if name != "anonymous":
                signed = self.sign_in(self.users[name])
                http.cookies = signed.cookies
            return http
        if name not in self._clients:
            http = HttpClient() if name == "anonymous" else self.sign_in(self.users[name])
            # A server error is collected as a finding, not raised, so one sweep reports them all.
            http.raise_request_exception = False
            self._clients[name] = http
        return self._clients[name]
