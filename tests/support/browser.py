"""Chromium driven by Playwright, for the browser tests of the checkout page.

The browser is Debian's Chromium (`/usr/bin/chromium`, installed by `make test` through
scripts/install-test-deps.sh): Playwright's own browser download is not used. When it is
missing or cannot start, the test that needs it FAILS with the reason; it is never skipped.

Every page records what would mean a broken page whatever the scenario: uncaught script
errors and Content-Security-Policy refusals (`Page.problems`, checked by the fixture).
Screenshots go under the test's tmp dir; their paths are printed at the end of the run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("ORDERPAY_CHROMIUM", "/usr/bin/chromium"))
DESKTOP = {"width": 1100, "height": 860}
MOBILE = {"width": 390, "height": 844}

#: Every screenshot written in this run, listed by the checkout tests' terminal summary.
SCREENSHOTS: list[Path] = []


class Chromium:
    """One browser for the session, started on first use; a fresh context per test."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser = None

    async def _start(self):
        if not os.access(CHROMIUM, os.X_OK):
            pytest.fail(
                f"Chromium is not installed at {CHROMIUM}. `make test` installs it "
                "(scripts/install-test-deps.sh: apt-get install chromium), or run that script "
                "as root; set ORDERPAY_CHROMIUM to use another Chromium binary.",
                pytrace=False,
            )
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            pytest.fail("playwright is not installed: run `make install`.", pytrace=False)
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--disable-dev-shm-usage", "--no-first-run"],
            )
        except Exception as exc:
            await self._playwright.stop()
            self._playwright = None
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)

    async def new_context(self, *, mobile: bool = False, **options):
        if self._browser is None:
            await self._start()
        context = await self._browser.new_context(
            viewport=MOBILE if mobile else DESKTOP,
            is_mobile=mobile,
            has_touch=mobile,
            locale="en-GB",
            **options,
        )
        context.set_default_timeout(15_000)
        return context

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None


def watch(page) -> list[str]:
    """Problems the page reports from now on: script errors and CSP refusals."""
    problems: list[str] = []

    def on_console(message):
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            problems.append(f"console: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


async def screenshot(page, directory: Path, name: str, *, clip: dict | None = None) -> Path:
    """The whole page, or the `clip` rectangle of it ({x, y, width, height})."""
    path = directory / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True, clip=clip)
    SCREENSHOTS.append(path)
    print(f"screenshot: {path}")
    return path
