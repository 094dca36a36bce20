"""``python -m benchmark report RUN_ID``: a recorded run's summary (as ``run`` prints it), or
its rows as a table file (``--format csv|parquet|json --out FILE``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark.cliargs import CliError, db_args, open_store, print_json
from benchmark.results import table
from benchmark.store import StoreError, atomic_write
from benchmark.summary import load_summary, print_summary, summary_json


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    r = sub.add_parser(
        "report", help="summarise a recorded run: metrics with 95%% CIs, families, statuses",
        description="Print a run's summary from the results database: every headline metric "
                    "with its mean and 95% bootstrap interval, a per-family table, status "
                    "counts, sandbox mode and where its artifacts are. With --json: the same "
                    "object `run --json` prints, plus by_family and by_difficulty. With "
                    "--format and --out: the run's rows as a table instead, one row per task "
                    "(per task and sample for runs with several samples) with every metric, "
                    "the status, family, difficulty, timings and the run's metadata — "
                    "benchmark.results.load(DB, [RUN_ID]) gives the same table as a pandas "
                    "DataFrame.")
    r.add_argument("run_id", metavar="RUN_ID", help="run id (or a unique prefix of one)")
    db_args(r)
    r.add_argument("--json", action="store_true", help="print one JSON object")
    r.add_argument("--format", choices=TABLE_FORMATS, default=None,
                   help="write the run's rows to --out as csv, parquet (needs pyarrow) or "
                        "json (a list of row objects)")
    r.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="the table file (with --format; the format defaults to the file's "
                        "suffix)")
    return r


TABLE_FORMATS = ("csv", "parquet", "json")


def _table_format(args: argparse.Namespace) -> str | None:
    if args.out is None:
        if args.format is not None:
            raise CliError("--format needs --out FILE")
        return None
    fmt = args.format or args.out.suffix.lstrip(".").lower()
    if fmt not in TABLE_FORMATS:
        raise CliError(f"--out {args.out}: pass --format ({', '.join(TABLE_FORMATS)})")
    if args.out.is_dir():
        raise CliError(f"--out {args.out}: is a directory, expected a file path")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise CliError("--format parquet needs pyarrow: pip install pyarrow") from None
    return fmt


def _write_table(store: object, run_id: str, fmt: str, out: Path) -> int:

    try:
        frame = table(store, [run_id])  # type: ignore[arg-type]
    except StoreError as exc:
        raise CliError(str(exc)) from None
    if fmt == "csv":
        data = frame.to_csv(index=False).encode("utf-8")
    elif fmt == "json":  # every digit of every float (to_json keeps 15 at most); NaN: null
        import json

        rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        data = json.dumps(rows, indent=1, allow_nan=False,
                          default=lambda v: v.item() if hasattr(v, "item") else str(v)
                          ).encode("utf-8")
    else:
        import io

        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        data = buf.getvalue()
    try:
        atomic_write(out, data)
    except OSError as exc:
        raise CliError(f"--out {out}: cannot write: {exc.strerror}") from None
    print(f"wrote {len(frame)} rows × {len(frame.columns)} columns of run "
          f"{frame['run_id'].iloc[0] if len(frame) else run_id} to {out} ({fmt})",
          file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    fmt = _table_format(args)
    if fmt is not None and args.json:
        raise CliError("--json prints the summary; --format writes the rows: pick one")
    with open_store(args, must_exist=True) as store:
        if fmt is not None:
            return _write_table(store, args.run_id, fmt, args.out)
        rs = load_summary(store, args.run_id)
        if args.json:
            print_json(summary_json(rs, store, detail=True))
        else:
            print_summary(rs, store)
    return 0
