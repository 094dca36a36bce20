"""The ``llm`` submission's settings, parsed from ``--model-arg`` strings into dataclasses.

Every check happens here, before anything loads, and a bad value is one line
naming the argument.  Arguments that only one backend reads are refused for the
other, so a typo cannot pass silently.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmark.core.submission import SubmissionError

__all__ = ["BACKENDS", "DEFAULT_HF_MODEL", "GenerationSettings", "HfOptions", "LlmConfig",
           "OpenAIOptions"]

DEFAULT_HF_MODEL = "Qwen/Qwen2.5-Coder-3B"  # the research plan's baseline
BACKENDS = ("hf", "openai")
HF_ONLY = ("device", "dtype", "batch_size")
OPENAI_ONLY = ("base_url", "api_key_env", "timeout", "retries", "backoff", "concurrency")


@dataclass(frozen=True)
class GenerationSettings:
    """What decides a reply besides the conversation (part of every cache key)."""

    temperature: float = 0.0
    top_p: float = 0.95
    max_new_tokens: int = 1024
    seed: int = 0

    @property
    def sampling(self) -> bool:
        return self.temperature > 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HfOptions:
    """A local ``transformers`` model: a Hub id or a folder, where and how to run it."""

    model: str = DEFAULT_HF_MODEL
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 8


@dataclass(frozen=True)
class OpenAIOptions:
    """An OpenAI-compatible server and how patiently to talk to it."""

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    api_key_required: bool = False  # True when api_key_env was named explicitly
    timeout: float = 120.0
    retries: int = 6
    backoff: float = 1.0
    concurrency: int = 8


@dataclass(frozen=True)
class LlmConfig:
    """Everything the ``llm`` submission was asked to do."""

    backend: str
    hf: HfOptions | None
    openai: OpenAIOptions | None
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    samples: int = 1
    repair_rounds: int = 0
    shots: int = 2
    cache: bool = True
    cache_dir: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> LlmConfig:
        a = _Args(args)
        backend = a.text("backend", "hf")
        if backend not in BACKENDS:
            raise SubmissionError(f"llm: backend must be one of {', '.join(BACKENDS)}, "
                                  f"got {backend!r}")
        foreign = OPENAI_ONLY if backend == "hf" else HF_ONLY
        given = [k for k in foreign if k in args]
        if given:
            other = "openai" if backend == "hf" else "hf"
            raise SubmissionError(f"llm: model argument {given[0]} applies to backend={other} "
                                  f"only (this run uses backend={backend})")
        samples = a.integer("n", 1, lo=1)
        settings = GenerationSettings(
            temperature=a.number("temperature", 0.0 if samples == 1 else 0.8, lo=0.0),
            top_p=a.number("top_p", 0.95, lo=0.0, hi=1.0, open_lo=True),
            max_new_tokens=a.integer("max_new_tokens", 1024, lo=1),
            seed=a.integer("seed", 0, lo=0))
        hf = oa = None
        if backend == "hf":
            dtype = a.text("dtype", "auto")
            if dtype not in ("auto", "bfloat16", "float16", "float32"):
                raise SubmissionError(f"llm: dtype must be auto, bfloat16, float16 or float32, "
                                      f"got {dtype!r}")
            hf = HfOptions(model=a.text("model", DEFAULT_HF_MODEL),
                           device=a.text("device", "auto"), dtype=dtype,
                           batch_size=a.integer("batch_size", 8, lo=1))
        else:
            for key in ("base_url", "model"):
                if not args.get(key, "").strip():
                    raise SubmissionError(f"llm: backend=openai needs --model-arg {key}=…"
                                          + (" (e.g. http://localhost:8000/v1)"
                                             if key == "base_url" else
                                             " (the name the server serves)"))
            url = a.text("base_url", "")
            if not url.startswith(("http://", "https://")):
                raise SubmissionError(f"llm: base_url must start with http:// or https://, "
                                      f"got {url!r}")
            oa = OpenAIOptions(
                base_url=url.rstrip("/"), model=a.text("model", ""),
                api_key_env=a.text("api_key_env", "OPENAI_API_KEY"),
                api_key_required="api_key_env" in args,
                timeout=a.number("timeout", 120.0, lo=0.0, open_lo=True),
                retries=a.integer("retries", 6, lo=0),
                backoff=a.number("backoff", 1.0, lo=0.0),
                concurrency=a.integer("concurrency", 8, lo=1))
        cache = a.text("cache", "1")
        if cache not in ("0", "1"):
            raise SubmissionError(f"llm: cache must be 0 or 1, got {cache!r}")
        return cls(backend=backend, hf=hf, openai=oa, settings=settings, samples=samples,
                   repair_rounds=a.integer("repair_rounds", 0, lo=0),
                   shots=a.integer("shots", 2, lo=0, hi=12), cache=cache == "1",
                   cache_dir=args.get("cache_dir") or None)


class _Args:
    """Typed reads of string arguments; errors are one line naming the argument."""

    def __init__(self, args: Mapping[str, str]) -> None:
        self.args = args

    def text(self, key: str, default: str) -> str:
        return str(self.args.get(key, default)).strip()

    def integer(self, key: str, default: int, lo: int | None = None, hi: int | None = None
                ) -> int:
        raw = self.args.get(key)
        try:
            v = default if raw is None else int(raw)
        except ValueError:
            raise SubmissionError(f"llm: model argument {key} must be an integer, "
                                  f"got {raw!r}") from None
        self._range(key, v, lo, hi)
        return v

    def number(self, key: str, default: float, lo: float | None = None,
               hi: float | None = None, open_lo: bool = False) -> float:
        raw = self.args.get(key)
        try:
            v = default if raw is None else float(raw)
        except ValueError:
            raise SubmissionError(f"llm: model argument {key} must be a number, "
                                  f"got {raw!r}") from None
        if not math.isfinite(v) or (open_lo and lo is not None and v <= lo):
            raise SubmissionError(f"llm: model argument {key} must be a finite number "
                                  f"above {lo}, got {raw!r}")
        self._range(key, v, lo, hi)
        return v

    @staticmethod
    def _range(key: str, v: float, lo: float | None, hi: float | None) -> None:
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            bounds = (f"at least {lo}" if hi is None else f"at most {hi}" if lo is None
                      else f"between {lo} and {hi}")
            raise SubmissionError(f"llm: model argument {key} must be {bounds}, got {v:g}")
