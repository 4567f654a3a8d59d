"""End to end in headless Chromium: ask in the chat, read the quoted answer, open the cited article.

Uses Debian's `chromium` package through Playwright's `executable_path` (Playwright's own browser download is never
used). With BAOKU_UPDATE_SCREENSHOT=1 (and a Chinese font installed) it saves docs/screenshot-chat.png, the
screenshot the README shows; otherwise the screenshot goes to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

if TYPE_CHECKING:
    from app_fixtures import Server

pytestmark = pytest.mark.browser
pytest_plugins = ["app_fixtures"]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).parents[1] / "docs" / "screenshot-chat.png"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 90_000


def chinese_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (without one the screenshot shows empty boxes)."""
    if not shutil.which("fc-list"):
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout.strip())


def chromium() -> Path:
    """Debian's Chromium (and a Chinese font), installed once with apt-get as root under CI; otherwise a skip."""
    missing = [package for package, present in (("chromium", CHROMIUM.exists()), ("fonts-noto-cjk", chinese_font()))
               if not present]
    if missing and os.geteuid() == 0 and os.environ.get("CI"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], capture_output=True, env=env, timeout=900)
        done = subprocess.run(["apt-get", "install", "-y", *missing], capture_output=True, text=True, env=env,
                              timeout=900)
        if not CHROMIUM.exists():
            pytest.skip(f"could not install Debian's chromium: {done.stderr.strip()[-300:]}")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium fonts-noto-cjk` "
                    "(the test installs it itself only as root with CI set)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium for this module."""
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_chat_quotes_the_answer_and_opens_the_cited_article(browser: Browser, app_server: Server,
                                                            tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1350}, locale="zh-CN")
    page.goto(app_server.url)
    box = page.locator("#question textarea")
    box.fill("高新大厦楼高多少米？")
    box.press("Enter")
    chat = page.locator("#chat")
    expect(chat.locator("blockquote").first).to_contain_text("楼高达168米", timeout=TIMEOUT_MS)
    expect(chat).to_contain_text("[1] 《株洲日报》2023年12月23日《“武广地标”转型记》")
    source = page.locator("#sources label").first
    expect(source).to_contain_text("《株洲日报》2023年12月23日")
    source.click()
    article = page.locator("#article")
    expect(article.locator("mark", has_text="168")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(article.locator("h2")).to_have_text("“武广地标”转型记")
    expect(article.locator(".issue")).to_have_text("《株洲日报》2023年12月23日")
    page.evaluate("window.scrollTo(0, 0)")
    target = SCREENSHOT if os.environ.get("BAOKU_UPDATE_SCREENSHOT") == "1" else tmp_path / SCREENSHOT.name
    if target == SCREENSHOT and not chinese_font():
        target = tmp_path / SCREENSHOT.name
        warnings.warn(f"no Chinese font installed: screenshot saved to {target}, README's left as it is", stacklevel=1)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 20_000
    page.close()


def test_punctuation_only_question_gets_a_message_in_the_chat(browser: Browser, app_server: Server) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(app_server.url)
    page.locator("#question textarea").fill("？？？")
    page.locator("#send").click()
    expect(page.locator("#chat")).to_contain_text("无法回答", timeout=TIMEOUT_MS)
    expect(page.locator("#chat")).to_contain_text("empty or only punctuation")
    page.close()


def test_example_questions_come_from_the_index_and_ask_it(browser: Browser, app_server: Server) -> None:
    with app_server.archive.index.snapshot() as snapshot:
        titles = set(snapshot.sample_titles(1000))
    page = browser.new_page(locale="zh-CN")
    page.goto(app_server.url)
    example = page.get_by_text(re.compile(r"^《.+》报道了什么？$")).first
    expect(example).to_be_visible(timeout=TIMEOUT_MS)
    question = example.inner_text().strip()
    assert question[1:-len("》报道了什么？")] in titles
    example.click()
    chat = page.locator("#chat")
    expect(chat).to_contain_text(question, timeout=TIMEOUT_MS)
    expect(chat.locator("blockquote").or_(chat.get_by_text("报库中没有找到答案")).first).to_be_visible(
        timeout=TIMEOUT_MS)
    page.close()
