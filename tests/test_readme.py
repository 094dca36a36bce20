"""The README and the docs: the Quickstart runs end to end, and every link and citation resolves.

The Quickstart's main command is run on a handful of tasks; every relative link in
``README.md`` and ``docs/*.md`` must point at a file of the repository (and, for a
``#fragment`` into a Markdown page, at one of its headings); no module of the packages
may cite a ``*.md`` file that the repository does not have.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("benchmark", "baselines", "jepa_model", "human_eval", "leaderboard")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
MD_CITATION = re.compile(r"[\w./-]*\w\.md(?!\w)")
SKIP_DIRS = {"runs", "site", "media", "node_modules", "__pycache__"}  # outputs, not sources


def quickstart() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"## Quickstart.*?```\n(.*?)```", text, re.S)
    assert block is not None, "README has no Quickstart code block"
    lines = [ln for ln in block.group(1).splitlines() if ln.strip()]
    assert len(lines) == 2, "the Quickstart has exactly two commands"
    return lines


def test_quickstart_is_setup_then_run_and_the_test_command():
    setup, tests = quickstart()
    assert setup.startswith("./scripts/setup.sh && .venv/bin/python -m benchmark run ")
    assert tests == ".venv/bin/python -m pytest -q"
    assert "python -m pytest -q" in (REPO / ".ci" / "run").read_text()


def test_the_fast_test_command_uses_a_declared_marker():
    text = (REPO / "README.md").read_text()
    fast = re.findall(r'^\.venv/bin/python -m pytest -q -m "not (\w+)"$', text, re.M)
    assert fast, "README has no fast test command"
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = {m.split(":")[0].strip()
                for m in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert set(fast) <= declared


def markdown_pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def slugs(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", page.read_text()), re.M):
        base = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def test_every_relative_link_in_the_readme_and_docs_resolves():
    broken = []
    for page in markdown_pages():
        text = INLINE_CODE.sub("code", FENCE.sub("", page.read_text()))
        for target in LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, …
                continue
            path, _, fragment = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(REPO)}: {target}"
            if not dest.exists():
                broken.append(f"{where} (no such file)")
            elif fragment and dest.suffix == ".md" and fragment not in slugs(dest):
                broken.append(f"{where} (no such heading)")
    assert not broken, "\n".join(broken)


def test_no_module_cites_a_markdown_file_the_repository_lacks():
    names = set()
    for _root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
        names.update(f for f in files if f.endswith(".md"))
    missing = []
    for package in PACKAGES:
        for module in sorted((REPO / package).rglob("*.py")):
            for cite in MD_CITATION.findall(module.read_text(encoding="utf-8")):
                found = ((REPO / cite).is_file() or (module.parent / cite).is_file()
                         or ("/" not in cite and cite in names))
                if not found:
                    missing.append(f"{module.relative_to(REPO)}: {cite}")
    assert not missing, "\n".join(missing)


@pytest.mark.slow
def test_the_main_command_runs_on_a_handful_of_tasks(tmp_path):
    setup, _ = quickstart()
    argv = shlex.split(setup.split("&&", 1)[1])
    assert argv[:3] == [".venv/bin/python", "-m", "benchmark"]
    args = argv[3:]
    i = args.index("--limit")
    args[i + 1] = "3"  # a handful, not the README's 50
    db = tmp_path / "benchmark.db"
    done = subprocess.run([sys.executable, "-m", "benchmark", *args, "--db", str(db),
                           "--json"], cwd=REPO, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["model"] == "jepa" and out["suite"] == "synthetic" and out["n"] == 3
    assert out["metrics"]["rendered"] == 1.0
    assert out["statuses"] == {"ok": 3}
    assert 0.0 < out["metrics"]["miou"] <= 1.0
    assert db.is_file()
