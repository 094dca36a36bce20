"""``jepa`` with ``codegen=llm``: the predicted layout goes to a language model as constraints.

The model is reached through the OpenAI-compatible protocol on a loopback server
(``_llm_fixtures.ChatServer``), the only stand-in; the JEPA is the shipped checkpoint.
"""

from __future__ import annotations

import re

import pytest
from _llm_fixtures import GOOD_SCENE, ChatServer, fenced

from benchmark.core.submission import SubmissionError
from benchmark.suites import load_suite
from jepa_model.submission import Jepa


@pytest.fixture(scope="module")
def server():
    with ChatServer(lambda body: fenced(GOOD_SCENE)) as s:
        yield s


def _jepa(server: ChatServer, tmp_path, **extra: str) -> Jepa:
    return Jepa(codegen="llm", llm_backend="openai", llm_base_url=server.url,
                llm_model=server.model, llm_shots="0", llm_cache_dir=str(tmp_path), **extra)


def test_the_llm_is_asked_to_follow_the_predicted_layout(server, tmp_path) -> None:
    task = load_suite("synthetic", "test", limit=3).tasks[2]
    sub = _jepa(server, tmp_path)
    gen = sub.generate(task)
    assert gen.code == GOOD_SCENE
    assert gen.meta["codegen"] == "llm" and gen.meta["round"] == 0
    prompt = server.answered()[-1]["messages"][-1]["content"]
    assert task.prompt in prompt and "Layout to follow" in prompt
    boxes = sub.predictor.boxes(task)
    for o in task.objects:  # one line per object, with the predicted box
        line = re.search(rf"^- {re.escape(o.id)}: \[([^\]]+)\]$", prompt, re.M)
        assert line is not None, o.id
        xmin, ymin, xmax, ymax = map(float, line.group(1).split(", "))
        cx, cy, w, h = boxes[o.id]
        assert (xmin + xmax) / 2 == pytest.approx(cx, abs=0.01)
        assert (ymin + ymax) / 2 == pytest.approx(cy, abs=0.01)
        assert (xmax - xmin, ymax - ymin) == pytest.approx((w, h), abs=0.01)


def test_a_second_generation_comes_from_the_reply_cache(server, tmp_path) -> None:
    task = load_suite("synthetic", "test", limit=1).tasks[0]
    _jepa(server, tmp_path).generate(task)
    before = len(server.answered())
    gen = _jepa(server, tmp_path).generate(task)
    assert gen.meta["cached"] is True and len(server.answered()) == before


def test_llm_options_without_codegen_llm_are_refused(tmp_path) -> None:
    with pytest.raises(SubmissionError, match="llm_model needs codegen=llm"):
        Jepa(llm_model="x")
    with pytest.raises(SubmissionError, match="codegen must be compose or llm"):
        Jepa(codegen="gpt")


@pytest.mark.slow
def test_an_unreachable_server_is_named(tmp_path) -> None:
    with pytest.raises(SubmissionError, match=re.escape("127.0.0.1:9")):
        Jepa(codegen="llm", llm_backend="openai", llm_base_url="http://127.0.0.1:9/v1",
             llm_model="m", llm_shots="0", llm_cache_dir=str(tmp_path)).generate(
            load_suite("synthetic", "test", limit=1).tasks[0])
