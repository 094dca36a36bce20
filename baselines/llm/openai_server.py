"""The ``openai`` backend: any server that speaks OpenAI's ``/v1/chat/completions``.

vLLM (``vllm serve MODEL``), the llama.cpp server, TGI and hosted APIs all do.
Requests go through the official ``openai`` client, at most ``concurrency`` in
flight across every thread of the run, each with a ``timeout``.  HTTP 429, 5xx
and lost connections are retried ``retries`` times with exponential backoff
(``backoff`` seconds doubled each time, with jitter; a ``Retry-After`` header
wins); after that the server is taken to be down and the run stops, resumable
(``ModelUnavailable``).  A 401/403/404 also stops the run (wrong key, URL or
model); any other 4xx fails only that task.

The API key is read from the environment variable ``api_key_env`` (default
``OPENAI_API_KEY``); a local server needs none, so when the default variable is
unset a placeholder is sent.  The constructor asks the server for its models
(``GET /models``): an unreachable server, a refused key or a model the server
does not list is one line naming the URL or the model.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from baselines.llm.backend import Request
from baselines.llm.config import GenerationSettings, OpenAIOptions
from baselines.llm.prompting import chat_request
from benchmark.core.submission import SubmissionError
from benchmark.sampling import ModelUnavailable

__all__ = ["OpenAIBackend"]

T = TypeVar("T")
MAX_DELAY = 60.0  # seconds, the longest wait between two tries


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class OpenAIBackend:
    """An OpenAI-compatible chat server; thread-safe, ``concurrency`` requests at a time."""

    def __init__(self, options: OpenAIOptions) -> None:
        import openai

        self.options = options
        key = os.environ.get(options.api_key_env)
        if not key:
            if options.api_key_required:
                raise SubmissionError(f"llm: the environment variable {options.api_key_env} "
                                      "(api_key_env) is not set")
            key = "unused"  # local servers accept anything
        self._openai = openai
        for name in ("httpx", "httpx2", "openai"):  # a line per request drowns the progress bar
            logging.getLogger(name).setLevel(logging.WARNING)
        self.client = openai.OpenAI(base_url=options.base_url, api_key=key,
                                    timeout=options.timeout, max_retries=0)
        self._pool = ThreadPoolExecutor(max_workers=options.concurrency,
                                        thread_name_prefix="llm-request")
        self._lock = threading.Lock()
        self.requests = 0  # completions requested (the tests count them)
        self.retried = 0
        self._check()

    def identity(self) -> dict[str, Any]:
        return {"backend": "openai", "base_url": self.options.base_url,
                "model": self.options.model}

    def _check(self) -> None:
        """The server answers, takes the key and serves the model (when it lists models)."""
        o, api = self.options, self._openai
        try:
            page = self._retrying(lambda: self.client.models.list(), "list models",
                                  retries=min(o.retries, 2))
        except ModelUnavailable as exc:
            raise SubmissionError(str(exc)) from None
        except api.AuthenticationError:
            raise SubmissionError(f"llm: {o.base_url} refused the API key (HTTP 401); put "
                                  f"the key in ${o.api_key_env}") from None
        except api.APIStatusError:
            return  # a server without GET /models: the first request will tell
        served = [str(m.id) for m in getattr(page, "data", [])]
        if served and o.model not in served:
            raise SubmissionError(f"llm: {o.base_url} does not serve model {o.model!r} "
                                  f"(it serves: {', '.join(served[:10])})")

    def _retrying(self, call: Callable[[], T], what: str, retries: int | None = None) -> T:
        """``call()``, retried on 429, 5xx, timeouts and lost connections."""
        api, o = self._openai, self.options
        retries = o.retries if retries is None else retries
        last: Exception | None = None
        for attempt in range(retries + 1):
            try:
                return call()
            except (api.RateLimitError, api.InternalServerError, api.APIConnectionError) as exc:
                last = exc
            except api.APIStatusError as exc:
                if exc.status_code < 500 and exc.status_code != 429:
                    raise
                last = exc
            if attempt == retries:
                break
            with self._lock:
                self.retried += 1
            delay = _retry_after(last) if last is not None else None
            if delay is None:
                delay = o.backoff * 2 ** attempt * (1 + 0.25 * random.random())
            time.sleep(min(delay, MAX_DELAY))
        reason = _first_line(last) if last is not None else "no answer"
        if isinstance(last, api.APITimeoutError):
            reason = f"no answer within the timeout of {o.timeout:g} s"
        elif isinstance(last, api.APIConnectionError):
            reason = f"cannot reach the server ({reason})"
        raise ModelUnavailable(f"llm: {o.base_url}: {what} failed after {retries + 1} "
                               f"tries: {reason}")

    def complete(self, requests: Sequence[Request], settings: GenerationSettings
                 ) -> list[str]:
        futures = [self._pool.submit(self._one, r, settings) for r in requests]
        return [f.result() for f in futures]

    def _one(self, request: Request, settings: GenerationSettings) -> str:
        o, api = self.options, self._openai
        kwargs = chat_request(o.model, request.messages, settings, request.sample)
        with self._lock:
            self.requests += 1
        try:
            response = self._retrying(lambda: self.client.chat.completions.create(**kwargs),
                                      f"chat completion with model {o.model!r}")
        except api.APIStatusError as exc:
            message = f"llm: {o.base_url} answered HTTP {exc.status_code}: {_first_line(exc)}"
            if exc.status_code in (401, 403, 404):
                raise ModelUnavailable(message) from None
            raise SubmissionError(message) from None
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise SubmissionError(f"llm: {o.base_url} returned no choices")
        return str(choices[0].message.content or "")
