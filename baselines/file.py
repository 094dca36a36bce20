"""``file``: score programs generated anywhere, read from a JSONL file.

``--model file --model-arg path=GENERATIONS.jsonl``; each line is one task's
answer, in one of three shapes:

- ``{"task_id": ID, "code": CODE}``: one program;
- ``{"task_id": ID, "samples": [CODE, ...]}``: several programs (the run
  reports pass@k, like ``--model-arg n=K`` of the ``llm`` submission); every
  line then has the same number of samples;
- a line of an OpenAI Batch API *output* file, ``{"custom_id": ..., "response":
  {"status_code": 200, "body": {chat completion}}, "error": null}``, for the
  requests ``python -m benchmark export --prompts openai-batch`` wrote: the
  custom id is ``TASK_ID`` or ``TASK_ID#SAMPLE``, and the code is extracted from
  the reply exactly as the ``llm`` submission does.  A failed request (an
  ``error``, a status other than 200) is that task's generation error.

Everything is checked before anything runs: a malformed line, an unknown task
id and a duplicate line (the same task, or the same sample of it, twice) are
errors naming the line; tasks of the run missing from the file are listed in
one error unless ``missing=skip`` (the run then covers the tasks the file
answers).  The file's sha256 becomes the model argument ``sha256``, so the run
records it and a resume refuses a file that changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from baselines.llm.prompting import extract_code
from benchmark.core.submission import Generation, SubmissionError
from benchmark.core.tasks import Task
from benchmark.sampling import SamplingSubmission

__all__ = ["FileGenerations", "batch_custom_id", "read_generations"]

_SAMPLE = re.compile(r"^(.*)#(\d+)$")
MAX_LISTED = 10  # missing tasks named in the error


def batch_custom_id(task_id: str, sample: int, samples: int) -> str:
    """The ``custom_id`` of one request: the task id, with ``#SAMPLE`` when several."""
    return task_id if samples == 1 else f"{task_id}#{sample}"


@dataclass
class _Answer:
    """One task's programs (``None``: that sample's request failed, ``error`` says why)."""

    line: int
    codes: list[str | None]
    errors: list[str]
    meta: list[dict[str, Any]]


class _Reader:
    """Parses the lines of one file into answers by task id, with errors naming the line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.answers: dict[str, _Answer] = {}
        self.batch_samples: dict[str, dict[int, int]] = {}  # task -> sample -> line

    def fail(self, line: int, why: str) -> SubmissionError:
        return SubmissionError(f"file: {self.path}:{line}: {why}")

    def read(self, text: str) -> None:
        for no, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise self.fail(no, f"not JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(obj, dict):
                raise self.fail(no, f"expected a JSON object, got {type(obj).__name__}")
            if "custom_id" in obj:
                self.batch_line(no, obj)
            else:
                self.plain_line(no, obj)
        for task_id, got in self.batch_samples.items():
            want = set(range(max(got) + 1))
            if set(got) != want:
                gap = min(want - set(got))
                raise self.fail(max(got.values()), f"task {task_id!r} has sample {max(got)} "
                                                   f"but no sample {gap}")

    def plain_line(self, no: int, obj: dict[str, Any]) -> None:
        task_id = obj.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise self.fail(no, 'missing "task_id" (a string)')
        has_code, has_samples = "code" in obj, "samples" in obj
        if has_code == has_samples:
            raise self.fail(no, 'expected exactly one of "code" (a string) or "samples" '
                                "(a list of strings)")
        codes = [obj["code"]] if has_code else obj["samples"]
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str)
                                                               for c in codes):
            raise self.fail(no, '"code" must be a string and "samples" a non-empty list of '
                                "strings")
        if task_id in self.answers:
            raise self.fail(no, f"task {task_id!r} again (first on line "
                                f"{self.answers[task_id].line})")
        meta = [{"source": "file", "line": no, "sample": i} for i in range(len(codes))]
        self.answers[task_id] = _Answer(no, list(codes), [""] * len(codes), meta)

    def batch_line(self, no: int, obj: dict[str, Any]) -> None:
        custom = obj.get("custom_id")
        if not isinstance(custom, str) or not custom:
            raise self.fail(no, '"custom_id" must be a non-empty string')
        m = _SAMPLE.match(custom)
        task_id, sample = (m.group(1), int(m.group(2))) if m else (custom, 0)
        if task_id in self.answers and task_id not in self.batch_samples:
            raise self.fail(no, f"task {task_id!r} again (first on line "
                                f"{self.answers[task_id].line})")
        seen = self.batch_samples.setdefault(task_id, {})
        if sample in seen:
            raise self.fail(no, f"custom_id {custom!r} again (first on line {seen[sample]})")
        seen[sample] = no
        code: str | None = None
        error = ""
        meta: dict[str, Any] = {"source": "openai-batch", "line": no, "sample": sample}
        response = obj.get("response")
        if obj.get("error"):
            error = f"batch request failed: {_one_line(obj['error'])}"
        elif not isinstance(response, dict):
            raise self.fail(no, 'a batch output line needs "response" (an object) or '
                                '"error"')
        elif response.get("status_code") != 200:
            error = (f"batch request failed: HTTP {response.get('status_code')}: "
                     f"{_one_line(response.get('body'))}")
        else:
            try:
                content = response["body"]["choices"][0]["message"]["content"]
            except (KeyError, IndexError, TypeError):
                raise self.fail(no, "response.body has no choices[0].message.content") from None
            reply = content if isinstance(content, str) else ""
            code, how = extract_code(reply)
            meta.update({"extract": how, "reply_chars": len(reply),
                         "model": (response.get("body") or {}).get("model")})
        answer = self.answers.setdefault(task_id, _Answer(no, [], [], []))
        while len(answer.codes) <= sample:
            answer.codes.append(None)
            answer.errors.append("")
            answer.meta.append({})
        answer.codes[sample], answer.errors[sample], answer.meta[sample] = code, error, meta


def _one_line(value: object, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_generations(path: Path) -> tuple[dict[str, _Answer], str]:
    """The answers in ``path`` by task id and the file's sha256; ``SubmissionError`` (one
    line naming the file and line) for anything malformed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionError(f"file: {path}: no such file") from None
    except OSError as exc:
        raise SubmissionError(f"file: {path}: cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"file: {path}: not UTF-8 text (byte {exc.start})") from None
    reader = _Reader(path)
    reader.read(text)
    if not reader.answers:
        raise SubmissionError(f"file: {path}: no generations in it")
    counts = {len(a.codes) for a in reader.answers.values()}
    if len(counts) > 1:
        first = next(iter(reader.answers.values()))
        odd = next(a for a in reader.answers.values() if len(a.codes) != len(first.codes))
        raise reader.fail(odd.line, f"{len(odd.codes)} samples, but line {first.line} has "
                                    f"{len(first.codes)}; every task needs the same number")
    return reader.answers, hashlib.sha256(data).hexdigest()


class FileGenerations(SamplingSubmission):
    name = "file"
    args_help: ClassVar[dict[str, str]] = {
        "path": "the JSONL file: one {\"task_id\", \"code\"} or {\"task_id\", \"samples\": "
                "[code, ...]} per line, or an OpenAI Batch API output file for the requests "
                "of `export --prompts openai-batch` (required)",
        "missing": "error (default): tasks of the run missing from the file are an error; "
                   "skip: the run covers only the tasks the file answers",
        "sha256": "the file's sha256, set by the run itself and checked on --resume",
    }

    @staticmethod
    def custom_id(task_id: str, sample: int, samples: int) -> str:
        """The ``custom_id`` a Batch API request for one sample must carry to be read back
        (:func:`batch_custom_id`)."""
        return batch_custom_id(task_id, sample, samples)

    def __init__(self, **args: str) -> None:
        super().__init__(**args)
        raw = self.args.get("path", "").strip()
        if not raw:
            raise SubmissionError("file: needs --model-arg path=GENERATIONS.jsonl")
        self.missing = self.args.get("missing", "error")
        if self.missing not in ("error", "skip"):
            raise SubmissionError(f"file: missing must be error or skip, got {self.missing!r}")
        path = Path(raw).expanduser()
        self.answers, digest = read_generations(path)
        recorded = self.args.get("sha256")
        if recorded and recorded != digest:
            raise SubmissionError(f"file: {path} has changed since the run recorded it "
                                  f"(sha256 {recorded[:12]}… then, {digest[:12]}… now)")
        self.args["path"] = str(path.resolve())  # a resume from another folder finds it
        self.args["sha256"] = digest
        self.samples = len(next(iter(self.answers.values())).codes)

    def select_tasks(self, tasks: list[Task], limited: bool = False) -> list[Task]:
        ids = {t.id for t in tasks}
        if not limited:
            unknown = sorted((a.line, t) for t, a in self.answers.items() if t not in ids)
            if unknown:
                line, task_id = unknown[0]
                raise SubmissionError(f"file: {self.args['path']}:{line}: task {task_id!r} is "
                                      f"not in the suite ({len(unknown)} unknown task id(s) in "
                                      "the file)")
        missing = [t.id for t in tasks if t.id not in self.answers]
        if missing and self.missing == "error":
            shown = ", ".join(missing[:MAX_LISTED]) + (
                f", … ({len(missing) - MAX_LISTED} more)" if len(missing) > MAX_LISTED else "")
            raise SubmissionError(f"file: {len(missing)} of the run's {len(tasks)} tasks are "
                                  f"not in {self.args['path']}: {shown} (--model-arg "
                                  "missing=skip runs the others)")
        return [t for t in tasks if t.id in self.answers]

    def generate(self, task: Task) -> Generation:
        return self.generate_samples(task, 1)[0]

    def generate_samples(self, task: Task, n: int) -> list[Generation]:
        answer = self.answers.get(task.id)
        if answer is None:
            raise SubmissionError(f"file: task {task.id} is not in {self.args['path']}")
        failed = [e for e in answer.errors[:n] if e]
        if failed:
            raise SubmissionError(failed[0])
        return [Generation(code=code or "", meta=dict(meta))
                for code, meta in zip(answer.codes[:n], answer.meta[:n], strict=True)]
