"""SQL injection attempts on every GET query parameter of every page a visitor can open.

The parameters are enumerated, not listed by hand: the fields of each page's GET forms (search,
filters), the query parameters of its own links (sorting, paging, filters), the console's list
parameters, and what slices register as `QUERY_PARAMS = {"ns:url-name": ["param", ...]}` in their
`tests/security/cases_<slice>.py`. Each attempt must answer without a server error, without a
database error on the page, and without showing another client's data that the same page did not
show before the attempt.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client as HttpClient

from tests.security.findings import known_finding
from tests.security.personas import Personas
from tests.security.urls import case_modules, endpoints
from tests.security.xss import parse

SQLI_PAYLOADS = [
    "' OR '1'='1",
    "1' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE accounts_user; --",
    "' UNION SELECT username, password FROM accounts_user --",
    "1) OR (1=1",
    "%' AND 1=0 UNION SELECT NULL --",
    "\\'; SELECT pg_sleep(0); --",
]
DB_ERROR_SIGNS = [
    "ProgrammingError",
    "OperationalError",
    "DataError",
    "syntax error at or near",
    "unterminated quoted string",
    "psycopg",
    "sqlite3.",
    "Traceback",
    "SQLSTATE",
]
# Pages whose answer is expected to carry whatever is typed (they are not list views).
ALWAYS_TRIED = ["q", "page"]
CONSOLE_LIST_PARAMS = ["q", "o", "p", "e", "all"]


def registered_params() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for module in case_modules():
        for name, params in getattr(module, "QUERY_PARAMS", {}).items():
            merged.setdefault(name, []).extend(params)
    return merged


def discovered_params(path: str, html: str) -> set[str]:
    """GET-form fields and the query parameters of links back to the same page."""
    parsed = parse(html)
    names = {name for form in parsed.forms if form.method == "get" for name in form.fields}
    for text in parsed.texts:
        if "?" in text and (text.startswith("?") or urlsplit(text).path in ("", path)):
            names |= {key for key, _ in parse_qsl(urlsplit(text).query, keep_blank_values=True)}
    return names - {"csrfmiddlewaretoken"}


@pytest.fixture
def visitors(personas: Personas) -> dict[str, HttpClient]:
    return {name: personas.client(name) for name in ("staff", "client", "superuser", "anonymous")}


def test_sql_injection_on_every_query_parameter(visitors: dict[str, HttpClient], personas: Personas) -> None:
    secret = f"LEAKCANARY{uuid.uuid4().hex}"
    other = personas.users["other_client"]
    other.first_name = secret
    other.display_name = secret
    other.save()
    registered = registered_params()
    failures: list[str] = []
    tried = 0
    for who, http in visitors.items():
        for endpoint in endpoints():
            page = http.get(endpoint.path)
            if page.status_code != 200 or not page["Content-Type"].startswith("text/html"):
                continue
            if known_finding(endpoint.path):
                continue
            html = page.content.decode(errors="replace")
            params = discovered_params(endpoint.path, html) | set(ALWAYS_TRIED) | set(registered.get(endpoint.name, []))
            if endpoint.name.endswith("_changelist"):
                params |= set(CONSOLE_LIST_PARAMS)
            baseline_leaks = secret in html
            for param in sorted(params):
                for payload in SQLI_PAYLOADS:
                    tried += 1
                    url = f"{endpoint.path}?{urlencode({param: payload})}"
                    response = http.get(url)
                    body = response.content.decode(errors="replace")
                    if response.status_code >= 500:
                        failures.append(f"{who} {url}: {response.status_code}")
                    failures += [f"{who} {url}: page shows {sign!r}" for sign in DB_ERROR_SIGNS if sign in body]
                    if secret in body and not baseline_leaks:
                        failures.append(f"{who} {url}: shows another client's data")
    assert not failures, "\n".join(failures[:50])
    assert tried > 100, "the enumeration found almost nothing to attack"
    from accounts.models import User

    assert User.objects.filter(pk=other.pk).exists()  # DROP TABLE did nothing, of course


def test_parameter_discovery_reads_forms_and_links() -> None:
    html = (
        '<form method="get"><input name="q"><select name="status"><option value="a">a</option></select></form>'
        '<a href="?o=2&amp;page=3">next</a><a href="/elsewhere/?x=1">x</a>'
    )
    assert discovered_params("/staff/list/", html) == {"q", "status", "o", "page"}
