"""Gunicorn's access log, without the caller's address, browser or exact time on the anonymous
whistleblowing pages (/report/). Loaded by `gunicorn.conf.py` (`logger_class`)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

ANONYMOUS_PREFIXES = ("/report/",)


def is_anonymous_path(path: str) -> bool:
    return path == "/report" or path.startswith(ANONYMOUS_PREFIXES)


class PrivacyLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        if is_anonymous_path(environ.get("PATH_INFO", "") or ""):
            # The address (h), forwarded headers, browser (a), referrer (f), query and exact time
            # would identify a reporter; the day is enough to count requests.
            day = atoms.get("t", "-")[:12] + "]" if atoms.get("t") else "-"
            request_line = f"{environ.get('REQUEST_METHOD', '-')} {environ.get('PATH_INFO', '')}"
            atoms.update({"h": "-", "u": "-", "a": "-", "f": "-", "t": day, "q": "", "r": request_line})
            for key in list(atoms):
                # Request headers ({...}i) and environ variables ({...}e, e.g. REMOTE_ADDR).
                if key.startswith("{") and key.endswith(("}i", "}e")):
                    atoms[key] = "-"
        return atoms
