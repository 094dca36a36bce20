"""``python -m benchmark export``: write a suite split as Task JSON, or the ``llm``
submission's requests for it (``--prompts messages|openai-batch``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmark.cliargs import CliError
from benchmark.commands.run import parse_model_args
from benchmark.core.submission import SubmissionError, submissions
from benchmark.core.tasks import dump_tasks
from benchmark.store import atomic_write
from benchmark.suites import SuiteError, load_suite, suites

PROMPT_FORMATS = ("messages", "openai-batch")
#: the llm submission's arguments that decide what a request says
PROMPT_ARGS = ("model", "n", "temperature", "top_p", "max_new_tokens", "seed", "shots")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "export", help="write a suite split as Task JSON, or the llm submission's prompts",
        description="Write the tasks of one suite split, one Task JSON object per line. "
                    "Generated (unbounded) splits such as synthetic's train need --limit; "
                    "--seed-start picks where in the seed sequence they begin. With "
                    "--prompts, write instead what the llm submission would send for each "
                    "task, to generate with any provider: `messages` (one line per request: "
                    "custom_id, task_id, sample and the chat messages) or `openai-batch` (the "
                    "OpenAI Batch API's input lines). Score the answers with `run --model "
                    "file --model-arg path=FILE`, which also reads a Batch API output file "
                    "directly.")
    p.add_argument("--suite", required=True, help="suite name (see `suites`)")
    p.add_argument("--split", default="test", help="split name (default: test)")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.jsonl")
    p.add_argument("--limit", type=int, metavar="N", help="at most N tasks")
    p.add_argument("--seed-start", type=int, default=None, metavar="S",
                   help="first task index of a generated split (default 0)")
    p.add_argument("--prompts", choices=PROMPT_FORMATS, default=None, metavar="FORMAT",
                   help="write the llm submission's requests instead of the tasks: messages "
                        "(plain chat messages) or openai-batch (Batch API input lines)")
    p.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="with --prompts: the llm submission's arguments that shape the "
                        f"requests ({', '.join(PROMPT_ARGS)}; `model` is the body's model "
                        "name); repeatable")
    return p


def run(args: argparse.Namespace) -> int:

    if args.limit is not None and args.limit < 0:
        raise CliError("--limit must be non-negative")
    if args.seed_start is not None and args.seed_start < 0:
        raise CliError("--seed-start must be non-negative")
    try:
        if args.suite in suites:
            source = suites.get(args.suite)
            if args.split in source.splits and source.size(args.split) is not None \
                    and args.seed_start is not None:
                raise CliError(f"--seed-start applies to generated splits only; "
                               f"{args.suite}/{args.split} is fixed")
        suite = load_suite(args.suite, args.split, args.limit, args.seed_start or 0)
    except SuiteError as exc:
        raise CliError(str(exc)) from None
    if args.out.is_dir():
        raise CliError(f"{args.out}: is a directory, expected a .jsonl file path")
    if args.prompts is None and args.model_arg:
        raise CliError("--model-arg applies to --prompts only")
    if args.prompts is not None:
        lines = _requests(suite.tasks, args.prompts, args.model_arg)
        try:
            atomic_write(args.out, "".join(json.dumps(x, ensure_ascii=False) + "\n"
                                           for x in lines).encode("utf-8"))
        except OSError as exc:
            raise CliError(f"{args.out}: cannot write: {exc.strerror}") from None
        print(f"wrote {len(lines)} {args.prompts} requests for {len(suite)} tasks of "
              f"{suite.name} {suite.version} {suite.split} (hash {suite.hash}) to {args.out}; "
              f"score the answers with: python -m benchmark run --model file --model-arg "
              f"path=ANSWERS.jsonl --suite {args.suite} --split {args.split}"
              + (f" --limit {args.limit}" if args.limit is not None else ""), file=sys.stderr)
        return 0
    try:
        dump_tasks(suite.tasks, args.out)
    except OSError as exc:
        raise CliError(f"{args.out}: cannot write: {exc.strerror}") from None
    print(f"wrote {len(suite)} tasks of {suite.name} {suite.version} {suite.split} "
          f"(hash {suite.hash}) to {args.out}", file=sys.stderr)
    return 0


def _requests(tasks: list[Any], fmt: str, pairs: list[str]) -> list[dict[str, Any]]:
    """One request per task and sample, built by the llm submission's own prompting."""
    given = parse_model_args(pairs)
    other = sorted(set(given) - set(PROMPT_ARGS))
    if other:
        raise CliError(f"--model-arg {other[0]}: not a request setting (accepted: "
                       f"{', '.join(PROMPT_ARGS)})")
    llm, file = submissions.get("llm"), submissions.get("file")
    try:
        out = []
        for task, i, samples, messages, body in llm.chat_requests(tasks, given):
            cid = file.custom_id(task.id, i, samples)
            if fmt == "messages":
                out.append({"custom_id": cid, "task_id": task.id, "sample": i,
                            "messages": messages})
            else:
                out.append({"custom_id": cid, "method": "POST",
                            "url": "/v1/chat/completions", "body": body})
    except SubmissionError as exc:
        raise CliError(str(exc)) from None
    return out
