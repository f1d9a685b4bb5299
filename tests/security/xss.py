"""Stored and reflected XSS: put a hostile payload into every text field of a form, submit it, and
check that every page showing it back renders it as text, never as markup.

Other slices register their forms as `XSS_CASES = [XssCase(...)]` in their own
`tests/security/cases_<slice>.py`; tests/security/test_xss.py runs every registered case.

    def _voucher_form() -> XssTarget:
        alice = cast.make_staff("bookkeeper_alice", StaffRole.BOOKKEEPER)
        client = make_client(...); assign(alice, client)
        return XssTarget(
            http=cast.signed_in(alice),
            form_url=f"/staff/clients/{client.pk}/vouchers/new/",
            shown_at=[f"/staff/clients/{client.pk}/vouchers/"],   # where the stored text is displayed
        )

    XSS_CASES = [XssCase("voucher entry", _voucher_form, values={"amount": "12.00"})]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

from django.test import Client as HttpClient

XSS_PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
TEXT_INPUT_TYPES = {"", "text", "search", "email", "url", "tel", "password"}


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> current value
    text_fields: list[str] = field(default_factory=list)  # names a person types into


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.injected: list[str] = []  # markup that is not ours: inline scripts, handlers
        self.texts: list[str] = []  # text and attribute values, as the browser would see them
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._script_inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: (v or "") for k, v in attrs}
        self.texts.extend(attributes.values())
        for name, value in attributes.items():
            if name.startswith("on"):
                self.injected.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and value.strip().lower().startswith("javascript:"):
                self.injected.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._script_inline = "src" not in attributes
        if tag == "form":
            self._form = Form(action=attributes.get("action", ""), method=attributes.get("method", "get").lower())
            self.forms.append(self._form)
        if self._form is None or "name" not in attributes:
            return
        name = attributes["name"]
        if tag == "input":
            kind = attributes.get("type", "").lower()
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            self._form.fields[name] = attributes.get("value", "")
            if kind in TEXT_INPUT_TYPES:
                self._form.text_fields.append(name)
        elif tag == "textarea":
            self._textarea = name
            self._form.fields[name] = ""
            self._form.text_fields.append(name)
        elif tag == "select":
            self._select = name
            self._form.fields.setdefault(name, "")
        elif tag == "option" and self._select and ("selected" in attributes or not self._form.fields[self._select]):
            self._form.fields[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "script":
            self._script_inline = False

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._script_inline and data.strip():
            self.injected.append(f"<script>{data.strip()[:60]}</script>")
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data


def parse(html: str) -> _Parser:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser


def injected_markup(html: str) -> list[str]:
    """Inline scripts, event-handler attributes and javascript: URLs in a page (FirmPortal has none
    of its own: its CSP forbids them), i.e. what a payload would have injected."""
    return parse(html).injected


def shows_as_text(html: str, payload: str = XSS_PAYLOAD) -> bool:
    """Whether the payload is on the page as text (escaped), so the check above was not vacuous."""
    return any(payload in text for text in parse(html).texts)


@dataclass
class XssTarget:
    http: HttpClient
    form_url: str
    shown_at: list[str] = field(default_factory=list)  # pages that display what was stored
    form_index: int = 0  # which form: counting only POST forms that have a text field (not the language switch)


@dataclass(frozen=True)
class XssCase:
    name: str
    setup: Callable[[], XssTarget]
    keep: frozenset[str] = frozenset()  # text fields left at their value (e.g. a username that must stay valid)
    values: Mapping[str, str] = field(default_factory=dict)  # values for fields that must be valid
    expect_shown: bool = True  # the payload must appear (escaped) on some checked page

    def __str__(self) -> str:
        return self.name


def attack(case: XssCase, payload: str = XSS_PAYLOAD) -> list[str]:
    """Submit `payload` in every text field of the case's form; return every problem found."""
    target = case.setup()
    http = target.http
    page = http.get(target.form_url)
    if page.status_code != 200:
        return [f"{case.name}: form page {target.form_url} answered {page.status_code}"]
    forms = [form for form in parse(page.content.decode()).forms if form.method == "post" and form.text_fields]
    if len(forms) <= target.form_index:
        return [f"{case.name}: no POST form #{target.form_index} on {target.form_url}"]
    form = forms[target.form_index]
    data = dict(form.fields)
    for name in form.text_fields:
        if name not in case.keep and name != "csrfmiddlewaretoken":
            data[name] = payload
    data.update(case.values)
    action = urljoin(target.form_url, form.action) if form.action else target.form_url
    response = http.post(action, data, follow=True)
    problems = []
    pages = [(f"response to POST {action}", response)]
    pages += [(url, http.get(url)) for url in target.shown_at]
    shown = False
    for where, shown_page in pages:
        if shown_page.status_code >= 500:
            problems.append(f"{case.name}: {where} answered {shown_page.status_code}")
            continue
        body = shown_page.content.decode(errors="replace")
        problems += [f"{case.name}: {where} rendered markup {bad}" for bad in injected_markup(body)]
        shown = shown or shows_as_text(body, payload)
    if case.expect_shown and not shown:
        problems.append(f"{case.name}: the payload was shown on none of the pages, so escaping was not checked")
    return problems
