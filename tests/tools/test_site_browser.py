"""The course site in a real browser (Debian's headless Chromium): search 卷积, open lesson 9, switch language.

The site is the one the session built (conftest.course_site), served by `torchstart docs`'s own server in a
thread. Material's search runs in the page (lunr, over the jieba-cut index), so this is what a learner sees.
"""

from __future__ import annotations

import pytest
from headless_chromium import Chromium, require_chromium

from torchstart.tools.site.serve import start_server

pytestmark = pytest.mark.slow
TIMEOUT_S = 30
RESULT_LINKS = "[...document.querySelectorAll('.md-search-result__item > a')].map(a => a.href)"
IMAGES = "[...document.querySelectorAll('article img')].map(i => [i.src, i.complete && i.naturalWidth > 0])"


@pytest.fixture
def browser():
    with Chromium(require_chromium()) as chromium:
        yield chromium


def wait_for(browser: Chromium, expression: str, timeout: float = TIMEOUT_S):
    """The value of `expression` once it is truthy (or the last value when the time is up)."""
    import time

    deadline = time.monotonic() + timeout
    value = browser.evaluate(expression)
    while not value and time.monotonic() < deadline:
        time.sleep(0.25)
        value = browser.evaluate(expression)
    return value


def test_search_open_switch_language_and_every_picture_loads(course_site, browser):
    server = start_server(course_site[1], port=None)
    home = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    try:
        browser.goto(home)
        assert wait_for(browser, "document.querySelector('input.md-search__input') !== null")
        wait_for(browser, "document.readyState === 'complete'")
        browser.type("input.md-search__input", "卷积")
        results = wait_for(browser, f"{RESULT_LINKS}.length > 0 && {RESULT_LINKS}")
        assert results and results[0].split("?")[0].endswith("/lessons/09-conv.html"), results

        browser.goto(results[0])
        assert wait_for(browser, "location.pathname.endsWith('/lessons/09-conv.html') && "
                                 "document.querySelector('article h1') !== null")
        assert "第 9 课 卷积" in browser.evaluate("document.querySelector('article h1').innerText")
        switch = browser.evaluate("document.querySelector('a[hreflang=en]').href")
        browser.goto(switch)
        assert wait_for(browser, "location.pathname === '/en/lessons/09-conv.html' && "
                                 "document.querySelector('article h1') !== null"), switch
        assert browser.evaluate("document.querySelector('article h1').innerText").startswith("Lesson 9")
        images = wait_for(browser, f"{IMAGES}.length > 0 && {IMAGES}.every(([, ok]) => ok) && {IMAGES}")
        assert images, browser.evaluate(IMAGES)
        outputs = browser.evaluate("[...document.querySelectorAll('article pre code')].map(c => c.innerText)")
        assert any("torch.Size([1, 1, 5, 5])" in text for text in outputs)
    finally:
        server.shutdown()
        server.server_close()
