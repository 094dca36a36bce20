"""The four command lines: console scripts in pyproject.toml, one parser style, one error style."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = {"jepa-manim": "benchmark", "jepa-manim-model": "jepa_model",
           "jepa-manim-human-eval": "human_eval", "jepa-manim-leaderboard": "leaderboard"}


def test_every_command_line_is_a_console_script_of_its_main():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {name: f"{pkg}.__main__:main" for name, pkg in SCRIPTS.items()}
    for target in scripts.values():
        module, attr = target.split(":")
        assert callable(getattr(importlib.import_module(module), attr))


@pytest.mark.parametrize("pkg", sorted(SCRIPTS.values()))
def test_help_exits_0_and_names_the_module(pkg, capsys):
    main = importlib.import_module(f"{pkg}.__main__").main
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert f"usage: python -m {pkg} [-h] COMMAND" in capsys.readouterr().out


@pytest.mark.parametrize("pkg,argv", [
    ("benchmark", ["report", "x", "--db", "/nonexistent/benchmark.db"]),
    ("jepa_model", ["bench", "--tasks", "0"]),
    ("human_eval", ["report", "--db", "/nonexistent/benchmark.db"]),
    ("leaderboard", ["build", "--db", "/nonexistent/benchmark.db"]),
])
def test_bad_input_is_one_error_line_and_exit_status_2(pkg, argv, capsys):
    assert importlib.import_module(f"{pkg}.__main__").main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.parametrize("pkg", sorted(SCRIPTS.values()))
def test_an_unknown_command_is_an_argparse_usage_error(pkg, capsys):
    with pytest.raises(SystemExit) as exc:
        importlib.import_module(f"{pkg}.__main__").main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
