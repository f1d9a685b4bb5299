"""Browser fixtures for the end-to-end flows: one Chromium per test, any number of contexts
(each its own person), a screenshot of every page when the test fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page

from tests.browser import launched_browser, save_failure


@pytest.fixture
def new_page(request: pytest.FixtureRequest) -> Iterator[Callable[[], Page]]:
    pages: list[Page] = []
    with launched_browser() as browser:
        contexts = []

        def make() -> Page:
            context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(15_000)
            pages.append(page)
            return page

        yield make
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            for index, page in enumerate(pages):
                save_failure(page, request.node.name + (f"-{index}" if index else ""))
        for context in contexts:
            context.close()
