from __future__ import annotations

from django.test import Client as HttpClient


def test_chinese_is_the_default_language(db: None) -> None:
    body = HttpClient().get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in body
    assert "登录" in body


def test_language_switch_to_english_and_back(db: None) -> None:
    http = HttpClient()
    response = http.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    body = http.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in body and "Sign in" in body and "登录" not in body
    http.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "登录" in http.get("/accounts/login/").content.decode()


def test_browser_language_is_honoured(db: None) -> None:
    body = HttpClient(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/accounts/login/").content.decode()
    assert "Sign in" in body
