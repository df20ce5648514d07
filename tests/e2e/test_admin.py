"""The program office's pages in a real headless Chromium: a sign-in link from the chat,
the Sign in button, insights whose charts render, then a screenshot for the README."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.e2e.conftest import ChatPage

pytestmark = pytest.mark.e2e

OFFICE = "marie-eve.lavoie@example.com"  # the demo's program office (bot/demo.py)


def test_the_office_signs_in_and_sees_the_charts(open_chat: Callable[[], ChatPage],
                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chat = open_chat()
    chat.open_as(OFFICE)
    chat.send("admin")
    link = chat.messages.locator("a.pl-btn").last
    expect(link).to_have_attribute("href", re.compile(r"/admin/signin\?t="))
    href = link.get_attribute("href")
    assert href is not None

    page = chat.page
    page.goto(href)
    page.get_by_role("button").click()
    expect(page).to_have_url(f"{chat.base}/admin/insights")
    charts = page.locator("section.chart svg")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 5
    bars = page.locator("svg rect.bar")
    assert bars.count() > 0
    boxes = [bars.nth(i).bounding_box() for i in range(bars.count())]
    assert any(b is not None and b["width"] > 0 and b["height"] > 0 for b in boxes)

    # The link worked once: opening it again signs nobody in.
    page.goto(href)
    page.get_by_role("button").click()
    expect(page.locator("main")).to_contain_text("not valid")

    page.goto(f"{chat.base}/admin/insights")
    page.set_viewport_size({"width": 1280, "height": 1000})
    shot = Path(os.environ.get("PEERLINK_SCREENSHOT_DIR", tmp_path)) / "admin-insights.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
