"""The interface every ``llm`` backend implements, and the batching they can share.

A backend turns conversations into reply texts.  ``complete`` takes a batch of
requests (the samples of one task, or a repair turn) and may be called from
several threads at once; ``identity`` is what the reply cache keys on, so two
backends that could answer differently never share replies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from baselines.llm.config import GenerationSettings
from baselines.llm.prompting import Message

__all__ = ["Backend", "GroupBatcher", "Request"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Request:
    """One reply to produce: the conversation, the sample's index and its cache key."""

    messages: tuple[Message, ...]
    sample: int
    key: str


class Backend(Protocol):
    """A chat model: a local ``transformers`` model or an OpenAI-compatible server."""

    def identity(self) -> dict[str, Any]:
        """What decides the replies besides the conversation and the settings."""
        ...

    def complete(self, requests: Sequence[Request], settings: GenerationSettings
                 ) -> list[str]:
        """One reply per request, in order; thread-safe."""
        ...


class GroupBatcher(Generic[T, R]):
    """Serve callers from several threads in shared batches of at most ``size`` items.

    A caller queues its items and then takes turns at running the model: whoever
    holds the run lock takes up to ``size`` queued items — its own or another
    caller's — and fulfils them, so requests that arrive while a batch runs go
    out together in the next one.  An exception fails exactly the items of the
    batch it came from.
    """

    def __init__(self, run: Callable[[list[T]], list[R]], size: int) -> None:
        self.run, self.size = run, max(1, size)
        self._queue: list[tuple[T, Future[R]]] = []
        self._queue_lock = threading.Lock()
        self._run_lock = threading.Lock()

    def submit(self, items: Sequence[T]) -> list[R]:
        futures: list[Future[R]] = [Future() for _ in items]
        with self._queue_lock:
            self._queue.extend(zip(items, futures, strict=True))
        while not all(f.done() for f in futures):
            with self._run_lock:
                with self._queue_lock:
                    batch, self._queue = self._queue[:self.size], self._queue[self.size:]
                if not batch:
                    continue  # another caller ran ours; the loop sees them done
                try:
                    results = self.run([item for item, _ in batch])
                    if len(results) != len(batch):
                        raise RuntimeError(f"batch of {len(batch)} gave {len(results)} results")
                except BaseException as exc:
                    for _, f in batch:
                        f.set_exception(exc)
                else:
                    for (_, f), r in zip(batch, results, strict=True):
                        f.set_result(r)
        return [f.result() for f in futures]
