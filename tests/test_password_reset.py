"""Password reset: no account enumeration, never a way around the second factor."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from accounts.models import User
from tests import cast

RESET = "/accounts/password-reset/"


def test_reset_answers_the_same_for_known_and_unknown_addresses(bookkeeper_alice: User) -> None:
    known = HttpClient().post(RESET, {"email": bookkeeper_alice.email})
    unknown = HttpClient().post(RESET, {"email": "nobody@firm.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [bookkeeper_alice.email]


def test_reset_sets_a_password_but_the_second_factor_still_stands(bookkeeper_alice: User) -> None:
    other_session = cast.signed_in(bookkeeper_alice)
    HttpClient().post(RESET, {"email": bookkeeper_alice.email})
    link = re.search(r"https?://[^/]+(/accounts/password-reset/[^\s]+)", str(mail.outbox[0].body))
    assert link is not None
    http = HttpClient()
    form_page = http.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new_password = "A-brand-new-passphrase-42"
    done = http.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    # Not signed in by the reset:
    assert http.get("/staff/").status_code == 302
    # Every earlier session was ended:
    assert other_session.get("/staff/").status_code == 302
    # The new password leads to the second factor, not past it:
    step = http.post("/accounts/login/", {"username": "bookkeeper_alice", "password": new_password})
    assert step["Location"] == reverse("accounts:otp-verify")
    assert http.get("/staff/")["Location"] == reverse("accounts:otp-verify")
