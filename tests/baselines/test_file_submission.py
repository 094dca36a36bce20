"""``--model file``: programs generated anywhere, scored from a JSONL file; ``export --prompts``
writes the requests; the whole loop (export -> answers -> run -> retry) end to end."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from baselines.file import FileGenerations
from baselines.llm.prompting import extract_code, task_messages
from benchmark.core.submission import SubmissionError
from benchmark.core.tasks import Reference, Task, dump_tasks, load_tasks

REPO = Path(__file__).resolve().parents[2]
BROKEN = "from manim import *\nclass S(Scene:\n"


def tasks(n: int = 3) -> list[Task]:
    return [Task(f"t/{i}", "t", "test", "f", "easy", "p", [], [], Reference([]))
            for i in range(n)]


def write(path: Path, *lines: object) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n"
                            for x in lines))
    return path


def batch_answer(custom_id: str, reply: str | None, error: dict | None = None) -> dict:
    response = None if reply is None else {
        "status_code": 200, "request_id": "req",
        "body": {"object": "chat.completion", "model": "gpt-x", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": reply},
             "finish_reason": "stop"}]}}
    return {"id": f"batch_req_{custom_id}", "custom_id": custom_id, "response": response,
            "error": error}


# -- reading the file: every problem is one line naming the line ---------------------------------

def test_each_line_gives_its_task_its_program_and_the_file_sha256(tmp_path):
    path = write(tmp_path / "g.jsonl", *({"task_id": t.id, "code": f"# {t.id}"} for t in tasks()))
    sub = FileGenerations(path=str(path))
    assert sub.select_tasks(tasks()) == tasks()
    assert sub.generate(tasks()[1]).code == "# t/1"
    assert sub.args["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_malformed_line_is_named(tmp_path):
    path = write(tmp_path / "g.jsonl", {"task_id": "t/0", "code": "x"}, "{not json")
    with pytest.raises(SubmissionError, match=r"g\.jsonl:2: not JSON"):
        FileGenerations(path=str(path))


def test_a_line_without_code_or_samples_is_named(tmp_path):
    path = write(tmp_path / "g.jsonl", {"task_id": "t/0", "program": "x"})
    with pytest.raises(SubmissionError, match=r":1: expected exactly one of \"code\""):
        FileGenerations(path=str(path))


def test_a_duplicate_task_names_both_lines(tmp_path):
    path = write(tmp_path / "g.jsonl", {"task_id": "t/0", "code": "a"},
                 {"task_id": "t/1", "code": "b"}, {"task_id": "t/0", "code": "c"})
    with pytest.raises(SubmissionError, match=r":3: task 't/0' again \(first on line 1\)"):
        FileGenerations(path=str(path))


def test_an_unknown_task_id_is_named_with_its_line(tmp_path):
    path = write(tmp_path / "g.jsonl", *({"task_id": t.id, "code": "x"} for t in tasks()),
                 {"task_id": "t/typo", "code": "x"})
    with pytest.raises(SubmissionError, match=r":4: task 't/typo' is not in the suite"):
        FileGenerations(path=str(path)).select_tasks(tasks())


def test_missing_tasks_are_listed_in_one_error(tmp_path):
    path = write(tmp_path / "g.jsonl", {"task_id": "t/1", "code": "x"})
    with pytest.raises(SubmissionError, match=r"2 of the run's 3 tasks are not in .*: t/0, t/2"):
        FileGenerations(path=str(path)).select_tasks(tasks())


def test_missing_skip_runs_the_tasks_the_file_answers(tmp_path):
    path = write(tmp_path / "g.jsonl", {"task_id": "t/1", "code": "x"})
    sub = FileGenerations(path=str(path), missing="skip")
    assert [t.id for t in sub.select_tasks(tasks())] == ["t/1"]


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(SubmissionError, match=r"^file: .*nope\.jsonl: no such file$"):
        FileGenerations(path=str(tmp_path / "nope.jsonl"))


def test_every_task_needs_the_same_number_of_samples(tmp_path):
    path = write(tmp_path / "g.jsonl", {"task_id": "t/0", "samples": ["a", "b"]},
                 {"task_id": "t/1", "samples": ["a"]})
    with pytest.raises(SubmissionError, match=r":2: 1 samples, but line 1 has 2"):
        FileGenerations(path=str(path))


def test_samples_become_the_submissions_samples(tmp_path):
    path = write(tmp_path / "g.jsonl", {"task_id": "t/0", "samples": ["a", "b", "c"]})
    sub = FileGenerations(path=str(path))
    assert sub.samples == 3
    assert [g.code for g in sub.generate_samples(tasks()[0], 3)] == ["a", "b", "c"]


def test_a_file_that_changed_since_the_run_is_refused(tmp_path):
    path = write(tmp_path / "g.jsonl", {"task_id": "t/0", "code": "x"})
    with pytest.raises(SubmissionError, match="has changed since the run recorded it"):
        FileGenerations(path=str(path), sha256="0" * 64)


def test_a_batch_output_reply_gives_the_code_the_llm_submission_would_extract(tmp_path):
    reply = "Sure:\n```python\nfrom manim import *\nclass A(Scene): pass\n```\nDone."
    path = write(tmp_path / "out.jsonl", batch_answer("t/0", reply))
    gen = FileGenerations(path=str(path)).generate(tasks()[0])
    assert gen.code == extract_code(reply)[0]
    assert gen.meta["extract"] == "python" and gen.meta["source"] == "openai-batch"


def test_a_failed_batch_request_is_that_tasks_generation_error(tmp_path):
    path = write(tmp_path / "out.jsonl",
                 batch_answer("t/0", None, {"code": "server_error", "message": "boom"}))
    with pytest.raises(SubmissionError, match=r"batch request failed: .*boom"):
        FileGenerations(path=str(path)).generate(tasks()[0])


def test_batch_samples_come_from_the_custom_id_suffix(tmp_path):
    path = write(tmp_path / "out.jsonl", batch_answer("t/0#1", "```python\nB\n```"),
                 batch_answer("t/0#0", "```python\nA\n```"))
    sub = FileGenerations(path=str(path))
    assert [g.code for g in sub.generate_samples(tasks()[0], 2)] == ["A\n", "B\n"]


def test_a_duplicate_batch_custom_id_is_named(tmp_path):
    path = write(tmp_path / "out.jsonl", batch_answer("t/0", "x"), batch_answer("t/0", "y"))
    with pytest.raises(SubmissionError, match=r":2: custom_id 't/0' again \(first on line 1\)"):
        FileGenerations(path=str(path))


# -- end to end through the command line ---------------------------------------------------------

@pytest.fixture(scope="module")
def suite_file(tmp_path_factory, suite) -> Path:
    return dump_tasks(suite.tasks, tmp_path_factory.mktemp("suite") / "tiny.jsonl")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, TORCH_HOME="/nonexistent"))


def last_json(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def references(suite_file: Path) -> dict[str, str]:
    return {t.id: t.reference.code or "" for t in load_tasks(suite_file)}


def test_exported_messages_are_the_llm_submissions_conversations(suite_file, tmp_path):
    out = tmp_path / "messages.jsonl"
    done = cli("export", "--suite", str(suite_file), "--prompts", "messages",
               "--model-arg", "shots=1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    by_id = {t.id: t for t in load_tasks(suite_file)}
    assert [x["task_id"] for x in lines] == list(by_id)
    for x in lines:
        assert x["custom_id"] == x["task_id"] and x["sample"] == 0
        assert x["messages"] == task_messages(by_id[x["task_id"]], 1)


def test_openai_batch_lines_are_chat_completion_requests(suite_file, tmp_path):
    out = tmp_path / "batch.jsonl"
    done = cli("export", "--suite", str(suite_file), "--prompts", "openai-batch",
               "--model-arg", "model=gpt-x", "--model-arg", "n=2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 2 * len(references(suite_file))
    first = lines[0]
    assert set(first) == {"custom_id", "method", "url", "body"}
    assert first["method"] == "POST" and first["url"] == "/v1/chat/completions"
    assert first["custom_id"].endswith("#0") and lines[1]["custom_id"].endswith("#1")
    assert first["body"]["model"] == "gpt-x" and first["body"]["temperature"] == 0.8
    assert first["body"]["seed"] + 1 == lines[1]["body"]["seed"]


def test_an_unknown_request_setting_is_one_line(suite_file, tmp_path):
    done = cli("export", "--suite", str(suite_file), "--prompts", "messages",
               "--model-arg", "device=cpu", "--out", str(tmp_path / "x.jsonl"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "not a request setting" in done.stderr


def test_export_answer_anywhere_and_score_the_batch_output(suite_file, tmp_path):
    requests = tmp_path / "batch.jsonl"
    assert cli("export", "--suite", str(suite_file), "--prompts", "openai-batch",
               "--model-arg", "model=gpt-x", "--out", str(requests)).returncode == 0
    refs = references(suite_file)
    answers = write(tmp_path / "batch_output.jsonl", *(
        batch_answer(r["custom_id"], f"Here it is.\n```python\n{refs[r['custom_id']]}```")
        for r in map(json.loads, requests.read_text().splitlines())))
    db = tmp_path / "runs" / "benchmark.db"
    out = last_json(cli("run", "--model", "file", "--model-arg", f"path={answers}",
                        "--suite", str(suite_file), "--db", str(db), "--json"))
    assert out["n"] == len(refs) and out["statuses"] == {"ok": len(refs)}
    assert out["metrics"]["miou"] > 0.999 and out["metrics"]["rendered"] == 1.0
    assert out["model_args"]["sha256"] == hashlib.sha256(answers.read_bytes()).hexdigest()


def test_samples_in_the_file_give_pass_at_k(suite_file, tmp_path):
    refs = references(suite_file)
    path = write(tmp_path / "g.jsonl", *({"task_id": t, "samples": [code, BROKEN]}
                                         for t, code in refs.items()))
    out = last_json(cli("run", "--model", "file", "--model-arg", f"path={path}", "--suite",
                        str(suite_file), "--db", str(tmp_path / "b.db"), "--json"))
    assert out["metrics"]["rendered"] == 0.5 and out["metrics"]["rendered_pass@2"] == 1.0
    assert out["sampling"]["sample_statuses"] == {"ok": len(refs), "syntax_error": len(refs)}


def test_missing_tasks_stop_the_run_before_a_database_exists(suite_file, tmp_path):
    first = next(iter(references(suite_file).items()))
    path = write(tmp_path / "g.jsonl", {"task_id": first[0], "code": first[1]})
    db = tmp_path / "runs" / "benchmark.db"
    done = cli("run", "--model", "file", "--model-arg", f"path={path}", "--suite",
               str(suite_file), "--db", str(db))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "3 of the run's 4 tasks are not in" in done.stderr and "missing=skip" in done.stderr
    assert not db.exists()


def test_missing_skip_records_a_run_of_the_answered_tasks(suite_file, tmp_path):
    first = next(iter(references(suite_file).items()))
    path = write(tmp_path / "g.jsonl", {"task_id": first[0], "code": first[1]})
    out = last_json(cli("run", "--model", "file", "--model-arg", f"path={path}",
                        "--model-arg", "missing=skip", "--suite", str(suite_file),
                        "--db", str(tmp_path / "b.db"), "--json"))
    assert out["n"] == 1 and out["n_tasks"] == 1 and out["status"] == "complete"


def test_retry_failed_reruns_the_failed_request_with_a_corrected_file(suite_file, tmp_path):
    refs = references(suite_file)
    ids = list(refs)
    lines = [batch_answer(t, f"```python\n{refs[t]}```") for t in ids]
    lines[1] = batch_answer(ids[1], None, {"code": "server_error", "message": "overloaded"})
    lines[2] = batch_answer(ids[2], f"```python\n{BROKEN}```")  # fails on its merits
    db = tmp_path / "runs" / "benchmark.db"
    first = last_json(cli("run", "--model", "file", "--model-arg",
                          f"path={write(tmp_path / 'out1.jsonl', *lines)}", "--suite",
                          str(suite_file), "--db", str(db), "--json"))
    assert first["statuses"] == {"ok": 2, "crashed": 1, "syntax_error": 1}
    lines[1] = batch_answer(ids[1], f"```python\n{refs[ids[1]]}```")
    fixed = write(tmp_path / "out2.jsonl", *lines)
    again = last_json(cli("run", "--retry-failed", first["run_id"], "--model-arg",
                          f"path={fixed}", "--db", str(db), "--json"))
    assert again["run_id"] != first["run_id"]
    assert again["statuses"] == {"ok": 3, "syntax_error": 1}
    assert again["session"]["written"] == 1 and again["session"]["skipped"] == 3
    report = last_json(cli("report", first["run_id"], "--db", str(db), "--json"))
    assert report["statuses"] == first["statuses"]  # the first attempts are kept


def test_a_bad_generations_file_is_one_line_and_exit_status_2(suite_file, tmp_path):
    path = write(tmp_path / "g.jsonl", "[1, 2]")
    done = cli("run", "--model", "file", "--model-arg", f"path={path}", "--suite",
               str(suite_file), "--db", str(tmp_path / "b.db"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "g.jsonl:1: expected a JSON object" in done.stderr


def test_a_retry_with_nothing_to_retry_is_one_line_and_adds_no_run(suite_file, tmp_path):
    refs = references(suite_file)
    path = write(tmp_path / "g.jsonl", *({"task_id": t, "code": c} for t, c in refs.items()))
    db = tmp_path / "b.db"
    run_id = last_json(cli("run", "--model", "file", "--model-arg", f"path={path}", "--suite",
                           str(suite_file), "--db", str(db), "--json"))["run_id"]
    for args, message in ((["--retry-failed", run_id], "nothing to retry"),
                          (["--retry-failed", "nope"], "no run 'nope'"),
                          (["--retry-failed", run_id, "--resume", run_id], "exclusive")):
        done = cli("run", *args, "--db", str(db))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert message in done.stderr
    runs = last_json(cli("runs", "--db", str(db), "--json"))["runs"]
    assert [r["run_id"] for r in runs] == [run_id]
