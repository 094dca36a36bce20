"""``python -m jepa_model bench``: per-scene timings of the jepa submission (shape only; the
numbers themselves are reported in notes, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_reports_uncached_and_cached_milliseconds_per_scene(tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "jepa_model", "bench", "--tasks", "3", "--json"],
                       capture_output=True, text=True, cwd=REPO, timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["tasks"] == 3 and out["threads"] == 1
    assert out["checkpoint"].endswith("checkpoints/base")
    for row in (out["uncached"], out["cached"]):
        assert set(row) == {"layout_ms", "compose_ms", "total_ms", "total_p90_ms"}
        assert 0 < row["layout_ms"] <= row["total_ms"] <= row["total_p90_ms"]


def test_bench_refuses_a_missing_checkpoint_in_one_line(tmp_path) -> None:
    r = subprocess.run([sys.executable, "-m", "jepa_model", "bench", "--checkpoint",
                        str(tmp_path / "none"), "--tasks", "2"],
                       capture_output=True, text=True, cwd=REPO, timeout=600)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "none" in r.stderr
