"""``llm``: a plain language model writes the scene from the description.

The research plan's baseline: no layout model, just a chat model given Manim
CE conventions, a few worked examples from the synthetic ``train`` split and
the task (``baselines.llm.prompting``).  Two backends: a local Hugging Face
``transformers`` model (``backend=hf``, the default; the plan's model is
Qwen/Qwen2.5-Coder-3B) and any OpenAI-compatible server (``backend=openai``).

``n=K`` writes K programs per task (the runner reports pass@k);
``repair_rounds=R`` hands a program that fails in the sandbox back with the
sandbox's status and error, up to R times, and the round that rendered is
recorded.  Every reply is kept on disk keyed by model, conversation and
settings (``baselines.llm.cache``), so a resumed or repeated run reuses it
instead of asking again.  The generated code is untrusted like any other: it
only ever runs in the runner's sandbox.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from baselines.llm.backend import Backend, Request
from baselines.llm.cache import ReplyCache, reply_key
from baselines.llm.config import LlmConfig
from baselines.llm.hf import HfBackend
from baselines.llm.openai_server import OpenAIBackend
from baselines.llm.prompting import (
    Message,
    chat_request,
    examples,
    extract_code,
    repair_message,
    task_messages,
)
from benchmark.core.submission import Generation, SubmissionError
from benchmark.core.tasks import Task
from benchmark.sampling import Feedback, SamplingSubmission

__all__ = ["Llm", "LlmGeneration"]


@dataclass
class LlmGeneration(Generation):
    """A generation that remembers its conversation, so a repair round can continue it."""

    messages: tuple[Message, ...] = ()
    reply: str = ""
    sample: int = 0
    round: int = 0
    extract: str = ""


_BACKENDS: dict[tuple[str, str], Backend] = {}
_LOCK = threading.Lock()


def _backend(config: LlmConfig) -> Backend:
    """One backend per model and options in a process (weights load once)."""
    if config.hf is not None:
        key = ("hf", repr(config.hf))
    else:
        key = ("openai", repr(config.openai))
    with _LOCK:
        if key not in _BACKENDS:
            if config.hf is not None:
                _BACKENDS[key] = HfBackend(config.hf)
            else:
                assert config.openai is not None
                _BACKENDS[key] = OpenAIBackend(config.openai)
        return _BACKENDS[key]


class Llm(SamplingSubmission):
    name = "llm"
    args_help: ClassVar[dict[str, str]] = {
        "backend": "hf (default): a local transformers model; openai: an OpenAI-compatible "
                   "server (vLLM, llama.cpp, a hosted API)",
        "model": "hf: a Hugging Face model id or a local model folder (default "
                 "Qwen/Qwen2.5-Coder-3B); openai: the model name the server serves (required)",
        "base_url": "openai: the server's API root, e.g. http://localhost:8000/v1 (required)",
        "api_key_env": "openai: environment variable holding the API key (default "
                       "OPENAI_API_KEY; not needed for a local server)",
        "n": "programs per task; the run reports pass@k for compiled/rendered (default 1)",
        "repair_rounds": "times a program that fails in the sandbox goes back to the model "
                         "with the sandbox's status and error (default 0)",
        "temperature": "sampling temperature, 0 = greedy (default 0 for n=1, else 0.8)",
        "top_p": "nucleus sampling mass when sampling (default 0.95)",
        "max_new_tokens": "longest reply, in tokens (default 1024)",
        "seed": "sampling seed (default 0)",
        "shots": "worked examples from the synthetic train split in the prompt (default 2)",
        "device": "hf: auto (default: cuda, else mps, else cpu), cpu, cuda, cuda:1, …",
        "dtype": "hf: auto (default: bfloat16 on a GPU that has it, float16 on other GPUs, "
                 "float32 on the CPU), bfloat16, float16 or float32",
        "batch_size": "hf: sequences generated together at most, across tasks in flight "
                      "(default 8; more tasks in flight with --jobs)",
        "timeout": "openai: seconds per request (default 120)",
        "retries": "openai: retries of a request on HTTP 429/5xx or a lost connection, "
                   "with exponential backoff (default 6)",
        "backoff": "openai: first retry delay in seconds, doubled each retry (default 1; a "
                   "Retry-After header wins)",
        "concurrency": "openai: requests in flight at most (default 8)",
        "cache": "1 (default): keep every reply on disk, keyed by model, prompt and settings, "
                 "and reuse it; 0: always ask the model",
        "cache_dir": "where replies are kept (default $XDG_CACHE_HOME/jepa-manim/generations)",
    }
    concurrent: ClassVar[bool] = True

    def __init__(self, **args: str) -> None:
        super().__init__(**args)
        self.config = LlmConfig.from_args(self.args)
        self.samples = self.config.samples
        self.repair_rounds = self.config.repair_rounds
        examples(self.config.shots)  # build (and guard) the few-shot examples up front
        self.backend = _backend(self.config)
        self.identity = self.backend.identity()
        self.cache = ReplyCache(self.config.cache_dir) if self.config.cache else None
        self.model_name = (self.config.hf.model if self.config.hf is not None
                           else self.config.openai.model if self.config.openai else "")

    # -- the contract ------------------------------------------------------------------------

    def generate(self, task: Task) -> Generation:
        return self.generate_samples(task, 1)[0]

    def generate_samples(self, task: Task, n: int) -> list[Generation]:
        messages = tuple(task_messages(task, self.config.shots))
        return self._ask([(messages, i, 0) for i in range(n)])

    def write_code(self, task: Task, layout: str) -> Generation:
        """One program for ``task`` written under ``layout``: extra prompt lines (e.g. the
        box each object must occupy) appended to the task's turn of the first round's
        conversation; sample 0, round 0, through the reply cache like any other ask."""
        messages = task_messages(task, self.config.shots)
        last = messages[-1]
        messages[-1] = {"role": last["role"], "content": last["content"] + "\n\n" + layout}
        return self._ask([(tuple(messages), 0, 0)])[0]

    @classmethod
    def chat_requests(cls, tasks: Iterable[Task], args: Mapping[str, str]
                      ) -> Iterator[tuple[Task, int, int, list[Message], dict[str, Any]]]:
        """What this submission would send, without a backend: for every task and sample,
        ``(task, sample, samples, messages, body)`` where ``body`` is the
        ``/v1/chat/completions`` request (``model`` is the body's model name).  ``args``
        are parsed first (a bad one raises :class:`SubmissionError`)."""
        config = LlmConfig.from_args(args)
        assert config.hf is not None
        for task in tasks:
            messages = task_messages(task, config.shots)
            for i in range(config.samples):
                yield (task, i, config.samples, messages,
                       chat_request(config.hf.model, messages, config.settings, i))

    def repair(self, task: Task, attempt: Generation, feedback: Feedback) -> Generation:
        if not isinstance(attempt, LlmGeneration) or not attempt.messages:
            raise SubmissionError("llm: can only repair its own generations")
        messages = (*attempt.messages, {"role": "assistant", "content": attempt.reply},
                    repair_message(feedback, attempt.extract))
        return self._ask([(messages, attempt.sample, attempt.round + 1)])[0]

    # -- asking, through the cache -----------------------------------------------------------

    def _ask(self, asks: list[tuple[tuple[Message, ...], int, int]]) -> list[Generation]:
        """Replies for (conversation, sample, round) triples; cached ones are not asked."""
        t0 = time.perf_counter()
        settings = self.config.settings
        requests = [Request(m, i, reply_key(self.identity, settings.to_json(), m, i))
                    for m, i, _ in asks]
        replies: list[str | None] = [self.cache.get(r.key) if self.cache else None
                                     for r in requests]
        cached = [r is not None for r in replies]
        todo = [i for i, r in enumerate(replies) if r is None]
        if todo:
            fresh = self.backend.complete([requests[i] for i in todo], settings)
            for i, text in zip(todo, fresh, strict=True):
                replies[i] = text
                if self.cache is not None:
                    self.cache.put(requests[i].key, text, {"model": self.model_name})
        ms = round(1000 * (time.perf_counter() - t0), 2)
        out: list[Generation] = []
        for (messages, sample, round_), reply, hit in zip(asks, replies, cached, strict=True):
            code, how = extract_code(reply or "")
            meta = {"backend": self.config.backend, "model": self.model_name,
                    "sample": sample, "round": round_, "extract": how, "cached": hit,
                    "reply_chars": len(reply or ""), "ask_ms": ms}
            out.append(LlmGeneration(code=code, meta=meta, messages=messages,
                                     reply=reply or "", sample=sample, round=round_,
                                     extract=how))
        return out
