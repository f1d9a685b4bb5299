"""Staff and client users are different kinds of people: neither reaches the other's area."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from accounts.models import User
from tests import cast


def test_client_user_gets_404_on_staff_pages(client_a_owner: User) -> None:
    http = cast.signed_in(client_a_owner)
    for url in ("/staff/", "/console/", "/console/accounts/user/"):
        response = http.get(url)
        assert response.status_code == 404, url
        assert "找不到" in response.content.decode() or "Not found" in response.content.decode()


def test_staff_gets_404_on_portal_pages(bookkeeper_alice: User) -> None:
    assert cast.signed_in(bookkeeper_alice).get("/portal/").status_code == 404


def test_anonymous_is_sent_to_sign_in(db: None) -> None:
    for url in ("/staff/", "/portal/", "/console/"):
        response = HttpClient().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_console_is_for_verified_firm_admins_only(firm_admin: User, bookkeeper_alice: User) -> None:
    assert cast.signed_in(firm_admin).get("/console/").status_code == 200
    assert cast.signed_in(bookkeeper_alice).get("/console/").status_code == 404
    unverified = cast.signed_in(firm_admin, verified=False).get("/console/")
    assert unverified.status_code == 302 and unverified["Location"] == "/accounts/2fa/"


def test_console_has_no_sign_in_of_its_own(db: None) -> None:
    response = HttpClient().get("/console/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("setting_on", [True, False])
def test_firm_setting_requires_client_2fa(client_a_owner: User, settings, setting_on: bool) -> None:
    settings.FIRMPORTAL_REQUIRE_CLIENT_2FA = setting_on
    response = cast.signed_in(client_a_owner).get("/portal/")
    if setting_on:
        assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"
    else:
        assert response.status_code == 200


def test_unknown_url_is_a_friendly_404(db: None) -> None:
    response = HttpClient().get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Traceback" not in body and "找不到" in body
