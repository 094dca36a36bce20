"""``python -m benchmark score``: render one submission and its task's reference, score it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmark.cli import sandbox_args, sandbox_config
from benchmark.cliargs import CliError, print_json
from benchmark.commands.render import read_scene_file, warn_fallback
from benchmark.core.tasks import Task, TaskFormatError, load_tasks, parse_task
from benchmark.render import Renderer
from benchmark.scoring import (
    HEADLINE,
    LOWER_IS_BETTER,
    ScoringConfig,
    lpips_status,
    outcome_from_report,
    score_outcome,
)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "score", help="score one code file against one task",
        description="Render FILE.py and the task's reference code in the sandbox, measure both "
                    "with trusted code, and print every per-task metric (null where a metric "
                    "does not apply or cannot be computed, with the reason). Exit status: 0 "
                    "scored, 1 scored but the code did not render, 2 usage or bad input.")
    p.add_argument("--task", required=True, type=Path, metavar="TASK.json",
                   help="one Task JSON object (or a .jsonl file with exactly one task)")
    p.add_argument("--code", required=True, type=Path, metavar="FILE.py",
                   help="the Manim CE code to score")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    p.add_argument("--lpips-weights", type=Path, metavar="PATH",
                   help="torchvision AlexNet weights (alexnet-owt-7be5be79.pth) for LPIPS; "
                        "default: the torch hub cache, else LPIPS is null")
    p.add_argument("--no-lpips", action="store_true", help="skip LPIPS")
    sandbox_args(p)
    return p


def read_task(path: Path) -> Task:
    """One task from a ``.json`` object or a one-line ``.jsonl``; errors name file/line/field."""
    if not path.exists():
        raise CliError(f"{path}: no such file")
    if path.is_dir():
        raise CliError(f"{path}: is a directory, expected a task .json file")
    try:
        if path.suffix == ".jsonl":
            tasks = load_tasks(path)
            if len(tasks) != 1:
                raise CliError(f"{path}: expected exactly one task, found {len(tasks)}")
            return tasks[0]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CliError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg} "
                           f"(column {exc.colno})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{path}: cannot read: {exc}") from None
        return parse_task(data)
    except TaskFormatError as exc:
        message = str(exc)
        raise CliError(message if message.startswith(str(path)) else f"{path}: {message}"
                       ) from None


def run(args: argparse.Namespace) -> int:
    task = read_task(args.task)
    if task.reference.code is None:
        raise CliError(f"{args.task}: task {task.id} has no reference code (reference.code)")
    code_bytes = read_scene_file(args.code)
    try:
        code = code_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{args.code}: not UTF-8 text") from None
    if args.lpips_weights is not None and not args.lpips_weights.is_file():
        raise CliError(f"{args.lpips_weights}: no such file (--lpips-weights)")
    config = ScoringConfig(lpips_weights=args.lpips_weights, lpips=not args.no_lpips)
    reason = lpips_status(config)
    if args.lpips_weights is not None and reason is not None:
        raise CliError(reason)

    # One after the other: the reference warms the TeX cache the code most likely shares
    # (two workers compiling the same new TeX at once can race in manim's cache).
    with Renderer(sandbox_config(args, "score"), jobs=1) as renderer:
        warn_fallback(renderer)
        reference = renderer.render(task.reference.code)
        report = renderer.render(code)
    if reference.status.value != "ok":
        raise CliError(f"{args.task}: the reference code of {task.id} does not render: "
                       f"{reference.status.value}: {reference.error}")
    outcome = outcome_from_report(code, report, reference)
    metrics = score_outcome(task, outcome, config)
    notes = {"lpips": reason} if metrics.get("lpips") is None and reason else {}
    if args.json:
        print_json({"task": task.id, "status": outcome.status, "error": outcome.error,
                    "metrics": metrics, "notes": notes})
    else:
        print_table(task.id, outcome.status, outcome.error, metrics, notes)
    return 0 if outcome.status == "ok" else 1


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.4f}"


def print_table(task_id: str, status: str, error: str, metrics: dict[str, float | None],
                notes: dict[str, str]) -> None:
    out = sys.stdout
    out.write(f"{task_id}: {status}{' — ' + error if error else ''}\n\n")
    for m in HEADLINE:
        note = notes.get(m) or ("lower is better" if m in LOWER_IS_BETTER else "")
        out.write(f"  {m:<15} {_fmt(metrics.get(m)):>7}  {note}".rstrip() + "\n")
    curve = [m for m in metrics if m.startswith("adherence@")]
    if curve:
        points = " ".join(f"{m.split('@')[1]}:{_fmt(metrics[m])[:4]}" for m in curve)
        out.write(f"\n  adherence@T     {points}\n")
    extra = [m for m in metrics if m not in HEADLINE and m not in curve]
    for m in extra:
        out.write(f"  {m:<15} {_fmt(metrics.get(m)):>7}\n")
