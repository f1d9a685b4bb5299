"""Every registered form takes the XSS payload in every text field and shows it back only as text."""

from __future__ import annotations

import pytest

from tests.security.urls import case_modules
from tests.security.xss import XSS_PAYLOAD, XssCase, attack, injected_markup, shows_as_text

CASES: list[XssCase] = [case for module in case_modules() for case in getattr(module, "XSS_CASES", [])]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_payload_in_every_text_field_renders_escaped(case: XssCase) -> None:
    problems = attack(case)
    assert not problems, "\n".join(problems)


def test_the_detector_finds_injected_markup() -> None:
    """The check would fail if a template used |safe or mark_safe on what a person typed."""
    unsafe = f"<p>{XSS_PAYLOAD}</p>"
    assert injected_markup(unsafe)
    assert not shows_as_text(unsafe)  # it became markup, not text
    from django.utils.html import escape

    safe = f'<p>{escape(XSS_PAYLOAD)}</p><input value="{escape(XSS_PAYLOAD)}">'
    assert injected_markup(safe) == []
    assert shows_as_text(safe)
    assert injected_markup('<a href="javascript:alert(1)">x</a><script src="/static/app.js"></script>') != []
    assert injected_markup('<script src="/static/app.js"></script>') == []
