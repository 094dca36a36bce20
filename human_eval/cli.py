"""Command line: ``python -m human_eval serve | report``.

Bad input (unknown or empty runs, a bad access-codes file, out-of-range
options, a missing database) is one ``error: …`` line on stderr, exit status
2, and nothing is stored.  Gradio is imported only when ``serve`` starts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from benchmark.cliargs import CliError, command_parser, db_args, open_store, run_main
from benchmark.store import Store
from human_eval.items import ItemsError, ItemSet, build_items
from human_eval.report import compute_report, print_report, summary_rows
from human_eval.session import RatingSession, SessionConfig, SessionError, load_access_codes
from human_eval.storage import RatingStore
from leaderboard.milestones import GOOD_RATING

__all__ = ["CliError", "build_parser", "main"]


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, not {v}")
    return v


def build_parser() -> argparse.ArgumentParser:
    parser, sub = command_parser(
        prog="python -m human_eval",
        description="Human evaluation for jepa-manim: serve the frames of benchmark runs to "
                    "raters for blind 1-5 layout ratings, then compute the statistics behind "
                    "Milestone 3 (share of scenes rated good).")

    s = sub.add_parser(
        "serve", help="start the rating app over the frames of some runs",
        description="Start a Gradio app where raters rate, blind, the frames of the given "
                    "runs from 1 to 5. Each rater logs in with an ID (or an access code), "
                    "gets the items in their own seeded random order (never two of one task "
                    "in a row, never one they rated; items with K ratings come last), a "
                    "share of attention checks (reference frames, and frames with objects "
                    "pushed onto each other or off the frame), and can skip and undo. Every "
                    "rating is committed to the database at once, so a crash or restart "
                    "loses nothing and each rater resumes where they were. The actions are "
                    "also API endpoints (/start, /rate, /skip, /undo) for gradio_client.")
    s.add_argument("--runs", nargs="+", required=True, metavar="RUN_ID",
                   help="runs whose frames to rate (ids or unique prefixes; see "
                        "`python -m benchmark runs`)")
    db_args(s)
    s.add_argument("--ratings-per-item", type=int, default=3, metavar="K",
                   help="ratings wanted per item; items that have K are served last "
                        "(default 3)")
    s.add_argument("--checks", type=_share, default=0.1, metavar="SHARE",
                   help="share of items that are attention checks, half known-good and half "
                        "known-bad (default 0.1; 0 for none)")
    s.add_argument("--reference", action="store_true",
                   help="show the task's reference frame beside each item")
    s.add_argument("--seed", type=int, default=0,
                   help="seeds every rater's order and the choice of check tasks (default 0)")
    s.add_argument("--access-codes", type=Path, default=None, metavar="FILE",
                   help="admit only the codes in FILE: one 'CODE' or 'CODE RATER_ID' per "
                        "line, # comments; ratings are stored under the rater ID")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for a lab network)")
    s.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    s.set_defaults(_run=_serve)

    r = sub.add_parser(
        "report", help="statistics of the ratings; writes the leaderboard's M3 numbers",
        description="Per submission (run): mean rating and share of scenes rated good "
                    f"(item mean >= {GOOD_RATING:g}; a task that did not render counts as not "
                    "good) with 95% "
                    "bootstrap intervals over items, the rating histogram and Krippendorff's "
                    "alpha (ordinal); per rater: count, mean, attention-check pass rate "
                    "(flagged below --min-check-pass); alpha over all items. The per-run "
                    "numbers replace the table human_eval_summary, which the leaderboard "
                    "reads.")
    db_args(r)
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.add_argument("--min-check-pass", type=float, default=0.8, metavar="P",
                   help="flag raters who pass less than this share of attention checks "
                        "(default 0.8)")
    r.add_argument("--exclude-flagged", action="store_true",
                   help="leave flagged raters' ratings out of the submissions' numbers")
    r.add_argument("--bootstrap", type=int, default=10_000, metavar="N",
                   help="bootstrap resamples (default 10000)")
    r.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    r.set_defaults(_run=_report)
    return parser


def _open_store(args: argparse.Namespace) -> Store:
    return open_store(args, must_exist=True)


def _serve(args: argparse.Namespace) -> int:

    if args.ratings_per_item < 1:
        raise CliError("--ratings-per-item must be at least 1")
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be between 1 and 65535, not {args.port}")
    try:
        access = None if args.access_codes is None else load_access_codes(args.access_codes)
    except SessionError as exc:
        raise CliError(f"--access-codes: {exc}") from None
    config = SessionConfig(ratings_per_item=args.ratings_per_item, seed=args.seed,
                           checks=args.checks, show_reference=args.reference)
    store = _open_store(args)
    try:
        items = build_items(store, args.runs, config.checks, config.seed)
    except ItemsError as exc:
        raise CliError(str(exc)) from None
    ratings = RatingStore(store)
    ratings.add_items(items.items)
    for warning in items.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return _launch(args, ratings, items, config, access)


def _launch(args: argparse.Namespace, ratings: RatingStore, items: ItemSet,
            config: SessionConfig, access: dict[str, str] | None) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up checks
    from human_eval.app import CSS, HEAD, build_app  # imports gradio

    session = RatingSession(ratings, items.items, config, access)
    app = build_app(session, ratings.store.artifacts)
    app.queue(default_concurrency_limit=16)
    try:
        _, url, _ = app.launch(server_name=args.host, server_port=args.port, quiet=True,
                               prevent_thread_lock=True, head=HEAD, css=CSS, ssr_mode=False,
                               footer_links=["api"])
    except OSError as exc:
        reason = ("the port is taken; pass another --port" if "empty port" in str(exc)
                  else str(exc).splitlines()[0])
        raise CliError(f"cannot listen on {args.host}:{args.port}: {reason}") from None
    codes = ", access codes required" if access else ""
    print(f"serving {len(items.frames)} frames from {len(items.runs)} runs and "
          f"{len(items.checks)} attention checks, {config.ratings_per_item} ratings per "
          f"item{codes}", flush=True)
    print(f"ready: {url or f'http://{args.host}:{args.port}/'}  (Ctrl-C to stop)", flush=True)
    try:
        app.block_thread()
    finally:
        app.close()
    return 0


def _report(args: argparse.Namespace) -> int:

    if args.bootstrap < 0:
        raise CliError("--bootstrap must not be negative")
    if not 0 <= args.min_check_pass <= 1:
        raise CliError("--min-check-pass must be between 0 and 1")
    store = _open_store(args)
    report = compute_report(store, n_boot=args.bootstrap, seed=args.seed,
                            min_pass=args.min_check_pass, exclude_flagged=args.exclude_flagged)
    RatingStore(store).write_summaries(summary_rows(report))
    if args.json:
        sys.stdout.write(json.dumps({"db": store.display, **report.to_json()}) + "\n")
    else:
        print_report(report, store.display, sys.stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(build_parser, argv)
