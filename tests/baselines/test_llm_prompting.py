"""The ``llm`` submission's parts that need no model: arguments, prompts, code
extraction, the reply cache and the batching of concurrent callers."""

from __future__ import annotations

import threading
import time

import pytest

from baselines.llm.backend import GroupBatcher
from baselines.llm.cache import ReplyCache, reply_key
from baselines.llm.config import LlmConfig
from baselines.llm.prompting import (
    NO_CODE,
    describe_task,
    examples,
    extract_code,
    repair_message,
    task_messages,
)
from benchmark.core.submission import SubmissionError
from benchmark.core.tasks import Box, ObjectSpec, Reference, Relation, Task
from benchmark.sampling import Feedback

TASK = Task("t/x/00001", "t", "test", "x", "easy", "Put the equation above the circle.",
            [ObjectSpec("eq", "tex", "E = mc^2", {"font_size": 40}),
             ObjectSpec("c", "shape", "Circle", {"radius": 1}, given=Box(-1, -2, 1, 0))],
            [Relation("eq", "above", "c")], Reference([]))


# -- arguments ----------------------------------------------------------------------------

def test_defaults_are_the_plans_model_greedy_and_two_examples():
    c = LlmConfig.from_args({})
    assert c.backend == "hf" and c.hf is not None and c.hf.model == "Qwen/Qwen2.5-Coder-3B"
    assert c.settings.temperature == 0.0 and c.shots == 2 and c.samples == 1 and c.cache
    assert LlmConfig.from_args({"n": "5"}).settings.temperature == 0.8  # sampling for pass@k


@pytest.mark.parametrize(("args", "message"), [
    ({"backend": "vllm"}, "backend must be one of hf, openai"),
    ({"temperature": "hot"}, "temperature must be a number"),
    ({"n": "0"}, "n must be at least 1"),
    ({"top_p": "1.5"}, "top_p must be between"),
    ({"top_p": "0"}, "top_p must be a finite number above"),
    ({"repair_rounds": "-1"}, "repair_rounds must be at least 0"),
    ({"dtype": "int8"}, "dtype must be auto"),
    ({"base_url": "http://x/v1"}, "base_url applies to backend=openai only"),
    ({"backend": "openai", "model": "m"}, "needs --model-arg base_url"),
    ({"backend": "openai", "base_url": "http://x/v1"}, "needs --model-arg model"),
    ({"backend": "openai", "base_url": "x/v1", "model": "m"}, "must start with http"),
    ({"backend": "openai", "base_url": "http://x/v1", "model": "m", "device": "cuda"},
     "device applies to backend=hf only"),
    ({"cache": "yes"}, "cache must be 0 or 1"),
])
def test_bad_arguments_are_one_line_naming_them(args, message):
    with pytest.raises(SubmissionError, match=message) as err:
        LlmConfig.from_args(args)
    assert "\n" not in str(err.value) and str(err.value).startswith("llm: ")


# -- prompts ------------------------------------------------------------------------------

def test_the_task_turn_lists_every_object_its_params_given_box_and_relations():
    text = describe_task(TASK)
    assert TASK.prompt in text
    assert '- eq: tex, "E = mc^2", {"font_size": 40}' in text
    assert "- c: shape" in text and "already placed on the box [-1.00, -2.00, 1.00, 0.00]" in text
    assert "Relations: eq above c" in text


def test_examples_come_from_train_of_different_families():
    from benchmark.suites import load_suite
    from benchmark.suites.synthetic import generate_tasks

    shots = examples(3)
    train = {describe_task(t) for t in generate_tasks("train", 0, 240)}
    held_out = {describe_task(t) for split in ("test", "val")
                for t in load_suite("synthetic", split).tasks}
    assert len(shots) == 3 and len({user for user, _ in shots}) == 3
    for user, answer in shots:
        assert user in train and user not in held_out
        assert answer.startswith("```python\nfrom manim import *") and answer.endswith("```")


def test_a_conversation_is_system_examples_then_the_task():
    messages = task_messages(TASK, shots=2)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user",
                                             "assistant", "user"]
    assert messages[-1]["content"] == describe_task(TASK)
    assert [m["role"] for m in task_messages(TASK, shots=0)] == ["system", "user"]


@pytest.mark.parametrize(("reply", "code", "how"), [
    ("Sure.\n```python\nA = 1\n```\nand\n```python\nB = 2\n```", "A = 1\n", "python"),
    ("```text\nnotes\n```\n```py\nX = 1\n```", "X = 1\n", "python"),
    ("```\nfrom manim import *\n```", "from manim import *\n", "fenced"),
    ("Here:\nfrom manim import *\nclass S(Scene): pass", "from manim import *\nclass S(Scene):"
                                                        " pass\n", "unfenced"),
    ("```python\nfrom manim import *\nclass S(Scene):\n", "from manim import *\nclass S(Scene):"
                                                         "\n", "python"),  # cut off mid-block
    ("I cannot help with that.", NO_CODE, "none"),
])
def test_code_is_the_first_python_block(reply, code, how):
    assert extract_code(reply) == (code, how)


def test_a_repair_turn_names_the_status_error_and_stderr():
    fb = Feedback("runtime_error", "ValueError: boom", "Traceback …\nValueError: boom", 0)
    text = repair_message(fb, "python")["content"]
    assert "`runtime_error`: ValueError: boom" in text and "Traceback" in text
    assert "no Python code block" in repair_message(fb, "none")["content"]


# -- the reply cache ----------------------------------------------------------------------

def test_the_cache_key_changes_with_model_settings_prompt_and_sample():
    ident, settings = {"backend": "hf", "model": "m"}, {"temperature": 0.0}
    messages = [{"role": "user", "content": "hi"}]
    base = reply_key(ident, settings, messages, 0)
    assert base == reply_key(dict(ident), dict(settings), list(messages), 0)
    assert len({base, reply_key({**ident, "model": "n"}, settings, messages, 0),
                reply_key(ident, {"temperature": 0.5}, messages, 0),
                reply_key(ident, settings, [{"role": "user", "content": "ho"}], 0),
                reply_key(ident, settings, messages, 1)}) == 5


def test_replies_survive_in_the_cache_file(tmp_path):
    ReplyCache(tmp_path).put("k", "```python\nX = 1\n```")
    again = ReplyCache(tmp_path)
    assert again.get("k") == "```python\nX = 1\n```" and again.get("other") is None
    assert len(again) == 1


# -- batching -----------------------------------------------------------------------------

def test_concurrent_callers_share_batches_and_get_their_own_results():
    batches: list[list[int]] = []
    gate = threading.Event()

    def run(items: list[int]) -> list[int]:
        batches.append(items)
        gate.wait(5)  # the first batch runs while the other callers queue up
        return [10 * i for i in items]

    batcher: GroupBatcher[int, int] = GroupBatcher(run, size=4)
    out: dict[int, list[int]] = {}

    def call(i: int) -> None:
        out[i] = batcher.submit([i, i + 100])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(3)]
    threads[0].start()
    time.sleep(0.2)
    for t in threads[1:]:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(5)
    assert out == {i: [10 * i, 10 * (i + 100)] for i in range(3)}
    assert batches[0] == [0, 100] and sorted(map(len, batches[1:])) == [4]


def test_a_failing_batch_fails_only_its_callers():
    def run(items: list[int]) -> list[int]:
        if 13 in items:
            raise RuntimeError("bad luck")
        return items

    batcher: GroupBatcher[int, int] = GroupBatcher(run, size=1)
    with pytest.raises(RuntimeError, match="bad luck"):
        batcher.submit([13])
    assert batcher.submit([1, 2]) == [1, 2]


def test_models_lists_llm_and_retrieval_with_every_argument_without_importing_them():
    import sys

    from benchmark.commands.models import list_models

    sys.modules.pop("baselines.llm.submission", None)
    models = {m.name: m for m in list_models()}
    assert {"llm", "retrieval"} <= set(models)
    assert models["llm"].description.startswith("a plain language model")
    assert {"backend", "model", "base_url", "api_key_env", "n", "repair_rounds", "temperature",
            "top_p", "max_new_tokens", "seed", "cache"} <= set(models["llm"].args)
    assert set(models["retrieval"].args) == {"index", "encoder"}
    assert "baselines.llm.submission" not in sys.modules
