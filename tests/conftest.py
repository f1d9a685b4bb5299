from __future__ import annotations

import pytest

from accounts.models import StaffRole, User
from tests import cast


@pytest.fixture
def bookkeeper_alice(db: None) -> User:
    return cast.make_staff("bookkeeper_alice", StaffRole.BOOKKEEPER)


@pytest.fixture
def bookkeeper_bob(db: None) -> User:
    return cast.make_staff("bookkeeper_bob", StaffRole.BOOKKEEPER)


@pytest.fixture
def reviewer_rita(db: None) -> User:
    return cast.make_staff("reviewer_rita", StaffRole.REVIEWER)


@pytest.fixture
def partner(db: None) -> User:
    return cast.make_staff("partner_pan", StaffRole.MANAGER, StaffRole.FIRM_HEAD)


@pytest.fixture
def firm_admin(db: None) -> User:
    return cast.make_staff("admin_ada", StaffRole.FIRM_ADMIN)


@pytest.fixture
def compliance_officer(db: None) -> User:
    return cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)


@pytest.fixture
def staff_without_device(db: None) -> User:
    return cast.make_staff("new_hire_nina", StaffRole.BOOKKEEPER, with_device=False)


@pytest.fixture
def client_a_owner(db: None) -> User:
    return cast.make_client_user("client_a_owner")


@pytest.fixture
def client_b_owner(db: None) -> User:
    return cast.make_client_user("client_b_owner")


@pytest.fixture(autouse=True)
def default_language():  # type: ignore[no-untyped-def]
    """Each test starts in the default language: a request in English (Accept-Language, the language
    cookie) leaves English active in the thread, and a later test's service messages came out in it."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def master_keyring() -> None:
    """The test run's master keyring (a file outside the database, as in production)."""
    from pathlib import Path

    from django.conf import settings

    from confidentiality.providers import Keystore, LocalKeyringProvider

    path = Path(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["path"])
    keystore = Path(settings.FIRMPORTAL_KEY_PROVIDER_OPTIONS["keystore"])
    if not path.exists():
        LocalKeyringProvider.create(path, keystore=keystore)
    if not keystore.exists():
        Keystore.create(keystore)


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker: object) -> None:
    """Pages link hashed static files, as in production: collect them once per run."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def browser_page(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A fresh page in headless Chromium; a screenshot is kept when the test fails."""
    from tests.browser import launched_browser, save_failure

    with launched_browser() as browser:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            save_failure(page, request.node.name)
        context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _through_whitenoise(application):  # type: ignore[no-untyped-def]
    """Static files reach the browser the production way: WhiteNoise, hashed names, no test handler."""
    return application


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost", start=False)
    server.thread = LiveServerThread(
        "localhost",
        static_handler=_through_whitenoise,  # type: ignore[arg-type]
        connections_override=server.thread.connections_override,
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()
