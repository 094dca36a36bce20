"""A rater in a real browser: headless Chromium (Playwright) against the real server.

Logs in, rates three items with the keyboard and the buttons (a key pressed
while the item's frame is still on its way is ignored), undoes one, and
checks the rows in the database.  The page's screenshot is kept under
``test-artifacts/human_eval/`` (git-ignored).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from _human_eval_runs import REPO, Server, benchmark_runs, fresh_db

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "human_eval"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs the system chromium (apt package chromium)")


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def wait_rated(page, n: int) -> None:
    # Returns as soon as it holds: generous, so a loaded machine is no failure.
    page.wait_for_function(
        f"document.querySelector('#he-progress')?.dataset.rated === '{n}'", timeout=180_000)


def frame_src(page) -> str:
    return page.eval_on_selector("#frame img", "i => i.src")


def wait_frame_loaded(page, before: str) -> None:
    """Until the next item's frame has replaced ``before`` and loaded (it comes after the
    prompt).  Two items in a row are never of one task, but two tasks can draw the same frame
    (an attention check shows an oracle frame; the image URL is the content's hash): when the
    URL stays ``before``, the frame on show is already the next item's."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "before => { const i = document.querySelector('#frame img');"
            " return i && i.src !== before && i.complete && i.naturalWidth > 0; }",
            arg=before, timeout=10_000)
    except PlaywrightTimeout:
        assert frame_src(page) == before  # the same picture, and loaded
        assert page.eval_on_selector("#frame img", "i => i.complete && i.naturalWidth > 0")


@pytest.mark.slow
def test_a_rater_rates_with_keys_and_buttons_in_chromium(tmp_path_factory, tmp_path):
    from playwright.sync_api import sync_playwright

    runs = benchmark_runs(tmp_path_factory)
    db = fresh_db(runs, tmp_path / "db")
    with Server(db, runs.rated, "--reference", log=tmp_path / "serve.log") as server, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(server.url)
            page.get_by_label("Rater ID").fill("lab-rater-1")  # digits typed here are text
            page.keyboard.press("Enter")
            page.wait_for_selector("#he-prompt")
            wait_rated(page, 0)
            shown = [page.get_attribute("#he-prompt", "data-item")]
            assert page.locator("#reference img").count() == 1  # --reference: side by side

            page.locator("h2").first.click()  # focus leaves the text box
            before = frame_src(page)
            page.keyboard.press("4")
            wait_rated(page, 1)
            wait_frame_loaded(page, before)
            shown.append(page.get_attribute("#he-prompt", "data-item"))

            held: list = []  # the third item's frames are held back in transit
            page.route("**/image.png", lambda route: held.append(route))
            before = frame_src(page)
            page.click("#rate-2")
            wait_rated(page, 2)
            shown.append(page.get_attribute("#he-prompt", "data-item"))
            page.wait_for_function(f"() => document.querySelector('#frame img').src !== "
                                   f"{before!r}")
            page.keyboard.press("5")  # a frame not yet seen cannot be rated by key
            page.wait_for_timeout(1000)
            assert page.get_attribute("#he-progress", "data-rated") == "2"
            assert held  # the frames were really held back
            for route in held:
                route.continue_()
            page.unroute("**/image.png")
            wait_frame_loaded(page, before)
            before = frame_src(page)
            page.keyboard.press("5")
            wait_rated(page, 3)
            assert "Saved 5" in page.inner_text("#status")
            wait_frame_loaded(page, before)  # the screenshot shows one item, not two halves
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "rating-page.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")

            page.keyboard.press("u")  # undo the last rating: that item comes back
            wait_rated(page, 2)
            assert page.get_attribute("#he-prompt", "data-item") == shown[2]
        finally:
            browser.close()
    assert rows(db, "SELECT item_id, value FROM ratings WHERE rater = 'lab-rater-1' "
                    "ORDER BY created") == [(shown[0], 4), (shown[1], 2)]
    assert rows(db, "SELECT item_id, value, reason FROM rating_history") == \
        [(shown[2], 5, "undone")]
    assert rows(db, "SELECT count(*) FROM ratings WHERE seconds IS NULL") == [(0,)]
    assert len(set(shown)) == 3 and shot.stat().st_size > 10_000
