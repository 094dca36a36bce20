"""What every jepa-manim command line shares: parsers, database options, errors, exit codes.

``python -m benchmark``, ``python -m jepa_model``, ``python -m human_eval`` and
``python -m leaderboard`` are built the same way: ``command_parser`` makes the
top-level parser and its ``COMMAND`` subparsers, each command registers a
``run(args) -> int`` with ``set_defaults(_run=...)`` (or ``add_commands`` for
modules with ``add_parser(sub)`` and ``run(args)``), and ``run_main`` parses
and dispatches.  A ``CliError`` (or an exception type a command line names) is
one ``error: …`` line on stderr and exit status ``EXIT_USAGE`` (2); Ctrl-C is
``interrupted`` and ``EXIT_INTERRUPTED`` (130).

"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from benchmark.core.paths import DEFAULT_DB
from benchmark.store import Store, StoreError

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "CliError",
           "add_commands", "command_parser", "db_args", "dispatch", "open_store", "print_error",
           "print_json", "run_main"]

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and its check failed (e.g. a benchmark over its target)
EXIT_USAGE = 2  # bad input: one `error: …` line, nothing done
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def print_error(message: object) -> int:
    """Print ``error: message`` (one line) on stderr; return ``EXIT_USAGE``."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def command_parser(prog: str, description: str, epilog: str | None = None
                   ) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The top-level parser of a command line and its required ``COMMAND`` subparsers."""
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    return parser, sub


def add_commands(sub: argparse._SubParsersAction, modules: Iterable[ModuleType]) -> None:
    """Register command modules, each with ``add_parser(sub)`` and ``run(args) -> int``."""
    for module in modules:
        module.add_parser(sub).set_defaults(_run=module.run)


def dispatch(args: argparse.Namespace, errors: tuple[type[Exception], ...] = ()) -> int:
    """Run the parsed command (``args._run``): a ``CliError`` (or one of ``errors``) is one
    ``error: …`` line on stderr and exit status 2, Ctrl-C exit status 130."""
    try:
        return int(args._run(args))
    except (CliError, *errors) as exc:
        return print_error(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run_main(build_parser: Callable[[], argparse.ArgumentParser], argv: list[str] | None = None,
             errors: tuple[type[Exception], ...] = ()) -> int:
    """Parse ``argv`` (default: the process's) with ``build_parser()`` and dispatch."""
    return dispatch(build_parser().parse_args(argv), errors)


def db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=DEFAULT_DB, metavar="URL",
                   help=f"results database: a SQLite file path or any SQLAlchemy URL, e.g. "
                        f"postgresql://host/db (default: {DEFAULT_DB})")
    p.add_argument("--artifacts", type=Path, default=None, metavar="DIR",
                   help="where code, frames and snapshots go (default: the SQLite file's "
                        "folder, or runs/ for other databases)")


def open_store(args: argparse.Namespace, must_exist: bool = False) -> Store:
    """The ``Store`` of ``--db`` / ``--artifacts``; ``must_exist``: a missing SQLite file is a
    ``CliError`` rather than a new database."""
    db = str(args.db)
    path = db[len("sqlite:///"):] if db.startswith("sqlite:///") else db
    if must_exist and "://" not in path and not Path(path).is_file():
        raise CliError(f"{db}: no such database (run `python -m benchmark run` first, or "
                       "pass --db)")
    try:
        return Store(db, args.artifacts)
    except StoreError as exc:
        raise CliError(str(exc)) from None
