"""Debian's Chromium, headless, driven by Playwright against pytest-django's live server:
what the dashboard's and the web check-in's browser tests share.

Needs ``/usr/bin/chromium`` and the ``playwright`` package (never Playwright's own browser
download). Without them the browser tests skip locally and fail in CI (``CI=true``).
"""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the live server's database calls
# from this thread are still synchronous (pytest-django's documented workaround).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_DIR = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
WANT_SCREENSHOTS = os.environ.get("SCREENSHOTS") == "1"

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = expect = None


def require_browser() -> None:
    missing = []
    if sync_playwright is None:
        missing.append("the playwright package (pip install playwright==1.65.2)")
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
        missing.append(f"Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    if not missing:
        return
    reason = "browser tests need " + " and ".join(missing)
    if IN_CI:
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def chromium_context(profile: Path, *, viewport: dict, javascript: bool = True, **options):
    """A fresh headless Chromium profile; closed (and its user-data-dir dropped) after."""
    require_browser()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=viewport,
            java_script_enabled=javascript,
            **options,
        )
        context.set_default_timeout(10_000)
        try:
            yield context
        finally:
            context.close()


def console_errors(page) -> list[str]:
    """What the page logs as errors from now on (a refused script or style under the CSP,
    a failed request, an exception), to assert there were none."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


SERIOUS = {"serious", "critical"}
WCAG_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def assert_accessible(page) -> None:
    """axe-core (bundled with axe-playwright-python; nothing fetched) finds nothing serious
    or critical on the page against the WCAG 2.2 A and AA rules."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # pragma: no cover - depends on the machine
        pytest.fail("axe-playwright-python is not installed (requirements-dev.txt)")
    results = Axe().run(page, options={"runOnly": WCAG_RULES})
    found = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]
    assert found == [], found


def screenshot(page, name: str) -> None:
    """With ``SCREENSHOTS=1``, the whole page to docs/screenshots/ (for the README)."""
    if WANT_SCREENSHOTS:
        SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS_DIR / name, full_page=True)
