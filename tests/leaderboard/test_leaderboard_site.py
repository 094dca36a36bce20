"""The leaderboard built from real runs: pages, milestones, escaping, and a real browser.

One session-scoped database is made with the real runner and sandbox:
oracle, random and template on four synthetic tasks (one with a hostile
prompt), oracle on two tasks of a file-backed ``3b1b`` suite (split ``test``),
template on the same two as ``test-scratch`` (shown beside M2), and a hostile
submission whose code and error carry ``<script>`` — plus human-evaluation
summary rows for two of the runs.  The browser test's screenshots are kept under
``test-artifacts/leaderboard/`` (git-ignored).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from benchmark.core.submission import Generation, Submission, submissions
from benchmark.core.tasks import Task, dump_tasks
from benchmark.runner import RunOptions, run_benchmark
from benchmark.sandbox import SandboxConfig
from benchmark.store import Store
from benchmark.suites import load_suite
from human_eval.schema import human_eval_summary
from human_eval.storage import RatingStore
from leaderboard.collect import collect
from leaderboard.render import BuildOptions, build_site

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "leaderboard"
TASK_IDS = ("synthetic/title_and_bullets/00001", "synthetic/flowchart/00008",
            "synthetic/venn_diagram/00009", "synthetic/shapes_row/00011")
HOSTILE_PROMPT = '<script>alert("prompt")</script> Put the title on top & the bullets below.'
HOSTILE_CODE_MARK = '<script>alert("code")</script>'
HOSTILE_ERROR_MARK = '<img src=x onerror=alert(1)>'


class Hostile(Submission):
    """Code whose comment and runtime error carry markup that must never run on a page."""

    name = "hostile"

    def generate(self, task: Task) -> Generation:
        return Generation(
            code=("from manim import *\n"
                  f"# </code></pre>{HOSTILE_CODE_MARK}\n"
                  "class Attack(Scene):\n"
                  "    def construct(self):\n"
                  f"        raise RuntimeError('{HOSTILE_ERROR_MARK}')\n"),
            meta={"note": "</script><script>alert('meta')</script>"})


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("leaderboard")
    full = {t.id: t for t in load_suite("synthetic", "test").tasks}
    tasks = [full[i] for i in TASK_IDS]
    tasks[0] = replace(tasks[0], prompt=HOSTILE_PROMPT)
    synthetic = dump_tasks(tasks, root / "suites" / "synthetic.jsonl")
    threeb1b = dump_tasks([replace(t, id=t.id.replace("synthetic/", "3b1b/"), suite="3b1b")
                           for t in tasks[1:3]], root / "suites" / "3b1b.jsonl")
    scratch = dump_tasks([replace(t, id=t.id.replace("synthetic/", "3b1b/") + "-scratch",
                                  suite="3b1b", split="test-scratch") for t in tasks[1:3]],
                         root / "suites" / "scratch" / "3b1b.jsonl")
    db = root / "runs" / "benchmark.db"
    options = RunOptions(jobs=2, sandbox=SandboxConfig(cache_dir=root / "sandbox-cache"))
    plan = [("oracle", {}, synthetic), ("random", {"seed": "1"}, synthetic),
            ("template", {}, synthetic), ("hostile", {}, synthetic), ("oracle", {}, threeb1b),
            ("template", {}, scratch)]
    run_ids: dict[str, str] = {}
    with Store(str(db)) as store:
        for model, args, path in plan:
            sub = Hostile() if model == "hostile" else submissions.get(model)(**args)
            suite = load_suite(str(path))
            stats = run_benchmark(sub, suite, store, options, model=model,
                                  suite_source=str(path))
            run_ids[f"{model}/{suite.name}"] = stats.run_id
        RatingStore(store)  # attaches the human-evaluation tables
        with store.transaction() as conn:
            for key, good, lo, hi in (("oracle/synthetic", 0.9, 0.8, 1.0),
                                      ("template/synthetic", 0.55, 0.4, 0.7)):
                conn.execute(human_eval_summary.insert().values(
                    run_id=run_ids[key], submission=key.split("/")[0], suite="synthetic",
                    split="test", n_items=4, n_ratings=12, mean=3.9, mean_lo=3.5, mean_hi=4.3,
                    good_rate=good, good_lo=lo, good_hi=hi, alpha=0.61,
                    histogram=[1, 1, 2, 4, 4], computed="2026-01-01T00:00:00+00:00",
                    n_unrendered=0, n_raters=3, n_tasks=4))
    return {"db": db, "root": root, "runs": run_ids}


@pytest.fixture(scope="session")
def site(fixture_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site-build") / "site"
    with Store(str(fixture_db["db"])) as store:
        board = collect(store)
    build_site(board, BuildOptions(out))
    return out


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def milestone_cells(html: str, submission: str) -> list[str]:
    """The verdict of each milestone cell in ``submission``'s row, in column order."""
    table = html.split('id="milestone-table"', 1)[1].split("</table>", 1)[0]
    for row in table.split("<tr>")[2:]:
        head = re.search(r'<th scope="row">.*?</span>(.*?)</th>', row, re.S)
        if head and head.group(1).strip() == submission:
            return re.findall(r'<td class="milestone ([a-z-]+)"', row)
    raise AssertionError(f"no milestone row for {submission}")


@pytest.mark.slow
def test_milestones_read_real_runs_pass_fail_tie_and_not_measured(site):
    html = read(site / "index.html")
    # columns: M1, M2, M3, short term, inference time
    assert milestone_cells(html, "oracle") == ["pass", "pass", "pass", "pass", "pass"]
    random = milestone_cells(html, "random (seed=1)")
    assert random[0] == "fail" and random[1:3] == ["not-measured", "not-measured"]
    template = milestone_cells(html, "template")
    assert template[1] == "not-measured" and template[2] == "tie"  # 0.55 [0.40, 0.70]
    # M2 judges 3b1b test (with context); template ran only test-scratch, shown beside it.
    row = html.split('id="milestone-table"', 1)[1].split("</table>", 1)[0]
    cells = row.split("</span>template</th>", 1)[1].split("</tr>", 1)[0].split("<td ")
    m2 = cells[2]
    assert "test-scratch (not judged)" in m2 and re.search(r"adherence@0.5\s*<b>", m2)
    assert "test-scratch: run " in m2
    assert "test-scratch" not in cells[1] and "test-scratch" not in cells[3]
    assert milestone_cells(html, "hostile")[0] == "fail"


def test_results_tables_plots_and_run_metadata_are_on_the_index(site, fixture_db):
    html = read(site / "index.html")
    for suite in ("synthetic · test", "3b1b · test", "3b1b · test-scratch"):
        assert f"<h2>{suite}</h2>" in html
    assert html.count('<figure class="chart">') == 3 * 2 + 1  # bars + curve per suite, ratings
    assert "<polyline" in html and 'class="whisker"' in html
    for run_id in fixture_db["runs"].values():
        assert f'href="runs/{run_id}/index.html"' in html
    assert "runtime_error" in html  # the hostile run's failure taxonomy
    assert "Krippendorff" in html and "0.610" in html


def test_diff_pages_exist_only_for_failures_by_default(site, fixture_db):
    oracle = site / "runs" / fixture_db["runs"]["oracle/synthetic"]
    assert [p.name for p in oracle.glob("*.html")] == ["index.html"]
    hostile = site / "runs" / fixture_db["runs"]["hostile/synthetic"]
    assert len(list(hostile.glob("*.html"))) == 1 + len(TASK_IDS)


def test_a_diff_page_shows_both_frames_boxes_matches_and_numbers(site, fixture_db):
    run = site / "runs" / fixture_db["runs"]["random/synthetic"]
    pages = sorted(p for p in run.glob("*.html") if p.name != "index.html")
    assert pages, "random placement should fail somewhere"
    html = read(pages[0])
    images = re.findall(r'<image href="([^"]+)"', html)
    assert len(images) == 2 and all((pages[0].parent / src).is_file() for src in images)
    assert html.count('class="box ref"') >= 2 and 'class="link"' in html
    assert "centre error" in html and "IoU" in html
    assert 'rel="next"' in html or 'rel="prev"' in html or len(pages) == 1
    assert "from manim import" in html  # the code


def test_hostile_prompt_code_and_error_are_escaped_everywhere(site, fixture_db):
    pages = list(site.rglob("*.html"))
    for page in pages:
        html = read(page)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts == ['<script src="../../static/site.js">'] or scripts == [
            '<script src="static/site.js">'], (page, scripts)
        assert "<img src=x" not in html
    hostile = site / "runs" / fixture_db["runs"]["hostile/synthetic"]
    html = "".join(read(p) for p in hostile.glob("*.html"))
    assert "&lt;script&gt;alert(&#34;code&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&#34;prompt&#34;)&lt;/script&gt;" in html


def test_all_tasks_writes_a_page_for_every_result(fixture_db, tmp_path):
    with Store(str(fixture_db["db"])) as store:
        board = collect(store, [fixture_db["runs"]["oracle/synthetic"]])
    report = build_site(board, BuildOptions(tmp_path / "all", all_tasks=True))
    assert report.pages == report.results == len(TASK_IDS) and report.failures == 0
    run = tmp_path / "all" / "runs" / fixture_db["runs"]["oracle/synthetic"]
    assert len(list(run.glob("*.html"))) == 1 + len(TASK_IDS)


def test_cli_builds_the_readme_loop_and_rebuilds_over_its_own_site(fixture_db, tmp_path):
    out = tmp_path / "site"
    for _ in range(2):  # the second build replaces the first
        done = subprocess.run([sys.executable, "-m", "leaderboard", "build", "--db",
                               str(fixture_db["db"]), "--out", str(out)], cwd=REPO,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert "wrote" in done.stdout and (out / "index.html").is_file()
    assert not list(tmp_path.glob(".site.*"))  # no temporary folder left behind


@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="needs the system chromium (apt package chromium)")
def test_page_opens_in_headless_chromium_with_the_milestones_table(site, record_property):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            for scheme in ("light", "dark"):
                page = browser.new_page(viewport={"width": 1280, "height": 900},
                                        color_scheme=scheme)
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto((site / "index.html").as_uri())
                table = page.locator("#milestone-table")
                assert table.is_visible()
                assert table.locator("tbody tr").count() == 4
                header = table.locator("thead th").nth(1)
                assert "M1" in header.inner_text()
                header.click()  # sorts by M1 verdict: passes first
                assert table.locator("tbody tr").first.inner_text().startswith("oracle")
                shot = ARTIFACTS / f"index-{scheme}.png"
                page.screenshot(path=str(shot), full_page=True)
                record_property(f"screenshot_{scheme}", str(shot))
                assert errors == []
                pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
                assert pixels.std() > 10, "the screenshot is blank"
                page.close()
        finally:
            browser.close()

