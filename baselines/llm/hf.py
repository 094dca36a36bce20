"""The ``hf`` backend: a causal language model run locally with ``transformers``.

``model`` is a Hugging Face Hub id (downloaded into the Hub cache on first use,
so a machine needs the network once; a model the cache already holds is read
from it without asking the Hub) or a local folder with ``config.json``,
tokenizer files and weights (never downloaded).  The constructor only checks
that the model exists — a local folder's files, or the Hub id's config, whose
revision becomes part of the reply cache's key — and the weights (of that
revision) load on the first reply the cache does not hold, so a run whose
replies are all cached never loads them.  A model that cannot be found is a
one-line ``SubmissionError`` naming it; weights that then fail to load stop the
run (``ModelUnavailable``).

Device and dtype: ``auto`` picks CUDA, then Apple's MPS, then the CPU, and
bfloat16 on a GPU that supports it (float16 on another GPU, float32 on the
CPU).  Prompts go through the tokenizer's chat template when it has one, else
a plain ``System:/User:/Assistant:`` transcript.  Conversations are padded on
the left and generated together, up to ``batch_size`` sequences at a time,
including conversations of other tasks in flight (``GroupBatcher``).  Each
batch is seeded from the run's ``seed`` and its requests' cache keys, so a
batch with the same requests gives the same replies.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from baselines.llm.backend import GroupBatcher, Request
from baselines.llm.config import GenerationSettings, HfOptions
from benchmark.core.compat import ensure_torchvision
from benchmark.core.submission import SubmissionError
from benchmark.sampling import ModelUnavailable

__all__ = ["HfBackend", "render_prompt"]

_WEIGHTS = ("*.safetensors", "pytorch_model*.bin")
_TOKENIZER = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json",
              "chat_template.jinja", "chat_template.json")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _quiet_hub() -> Iterator[None]:
    """Hold back ``huggingface_hub``'s warning per retry of an unreachable Hub (the
    failure, if it comes, is reported in one line by the caller)."""
    hub = logging.getLogger("huggingface_hub")
    level = hub.level
    hub.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hub.setLevel(level)


def _digest(folder: Path) -> str:
    """A fingerprint of a local model: config and tokenizer files, weight names and sizes."""
    h = hashlib.sha256()
    for name in ("config.json", "generation_config.json", *_TOKENIZER):
        p = folder / name
        if p.is_file():
            h.update(name.encode() + b"\n" + p.read_bytes())
    for pattern in _WEIGHTS:
        for p in sorted(folder.glob(pattern)):
            h.update(f"{p.name}:{p.stat().st_size}\n".encode())
    return h.hexdigest()[:16]


def render_prompt(tokenizer: Any, messages: Sequence[dict[str, str]]) -> tuple[str, bool]:
    """(prompt text, whether the tokenizer should add its special tokens)."""
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(list(messages), tokenize=False,
                                             add_generation_prompt=True)
        return str(text), False
    parts = [f"{m['role'].capitalize()}:\n{m['content']}\n" for m in messages]
    return "\n".join(parts) + "\nAssistant:\n", True


class HfBackend:
    """A ``transformers`` causal LM; thread-safe, batching across callers."""

    def __init__(self, options: HfOptions) -> None:
        self.options = options
        folder = Path(options.model).expanduser()
        self.local = folder.is_dir()
        if self.local:
            if not (folder / "config.json").is_file():
                raise SubmissionError(f"llm: no model in {folder} (expected config.json, "
                                      "tokenizer files and weights)")
            if not any(any(folder.glob(p)) for p in _WEIGHTS):
                raise SubmissionError(f"llm: no model weights in {folder} (expected "
                                      "*.safetensors or pytorch_model*.bin)")
            self.source = str(folder.resolve())
            self._revision: str | None = None
            self._identity = {"backend": "hf", "model": self.source,
                              "files": _digest(folder)}
        else:
            self.source = options.model
            self._revision = self._check_hub(options.model)
            self._identity = {"backend": "hf", "model": options.model}
            if self._revision:  # a new upload of the model is a different model
                self._identity["revision"] = self._revision
        self._model: Any = None
        self._tokenizer: Any = None
        self._device = ""
        self._load_lock = threading.Lock()
        self._batcher: GroupBatcher[tuple[Request, GenerationSettings], str] = GroupBatcher(
            self._run, options.batch_size)
        self.calls = 0  # batches generated (the tests count them)

    @staticmethod
    def _check_hub(model_id: str) -> str | None:
        """A Hub id must at least resolve to a config: from the Hub cache first (no
        network), else downloaded.  Returns the Hub revision (commit) when known.

        ``huggingface_hub`` logs a warning per retry of an unreachable Hub; those
        lines are held back, so a missing model stays one line."""
        if model_id.startswith((".", "/", "~")) or model_id.count("/") > 1:
            raise SubmissionError(f"llm: no model folder at {model_id}")
        from transformers import AutoConfig

        try:
            AutoConfig.from_pretrained(model_id, local_files_only=True)
        except (OSError, ValueError):
            try:
                with _quiet_hub():
                    AutoConfig.from_pretrained(model_id)
            except (OSError, ValueError) as exc:
                raise SubmissionError(
                    f"llm: cannot find model {model_id!r}: it is not a local folder, it is "
                    f"not in the Hugging Face cache, and the Hub does not have it or cannot "
                    f"be reached ({_first_line(exc)})") from None
        from huggingface_hub import try_to_load_from_cache

        path = try_to_load_from_cache(model_id, "config.json")  # where the config came from
        found = re.search(r"/snapshots/([0-9a-f]{40})/", path) if isinstance(path, str) else None
        return found.group(1) if found else None

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)

    # -- loading ---------------------------------------------------------------------------

    def _pick(self) -> tuple[str, Any]:
        import torch

        device = self.options.device
        if device == "auto":
            mps = getattr(torch.backends, "mps", None)
            device = ("cuda" if torch.cuda.is_available()
                      else "mps" if mps is not None and mps.is_available() else "cpu")
        dtype = self.options.dtype
        if dtype == "auto":
            if device.startswith("cuda"):
                dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
            else:
                dtype = "float32"
        return device, getattr(torch, dtype)

    def load(self) -> None:
        """Load the tokenizer and weights (once); failures stop the run."""
        with self._load_lock:
            if self._model is not None:
                return
            ensure_torchvision()  # transformers' model imports pull in torchvision
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            device, dtype = self._pick()
            pin = {"revision": self._revision} if self._revision else {}

            def fetch(cached_only: bool) -> tuple[Any, Any]:
                tok = AutoTokenizer.from_pretrained(self.source, local_files_only=cached_only,
                                                    **pin)
                lm = AutoModelForCausalLM.from_pretrained(self.source, dtype=dtype,
                                                          local_files_only=cached_only, **pin)
                return tok, lm

            try:
                try:  # a folder, or a Hub model the cache holds: no network
                    tokenizer, model = fetch(True)
                except OSError:
                    if self.local:
                        raise
                    with _quiet_hub():  # the revision checked above, downloaded
                        tokenizer, model = fetch(False)
                model = model.to(device).eval()
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelUnavailable(f"llm: cannot load model {self.options.model!r}: "
                                       f"{_first_line(exc)}") from None
            tokenizer.padding_side = "left"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            self._tokenizer, self._model, self._device = tokenizer, model, device

    # -- generating ------------------------------------------------------------------------

    def complete(self, requests: Sequence[Request], settings: GenerationSettings
                 ) -> list[str]:
        self.load()
        return self._batcher.submit([(r, settings) for r in requests])

    def _run(self, batch: list[tuple[Request, GenerationSettings]]) -> list[str]:
        """Generate a batch, grouped by settings (one ``generate`` call per group)."""
        out: list[str | None] = [None] * len(batch)
        groups: dict[GenerationSettings, list[int]] = {}
        for i, (_, s) in enumerate(batch):
            groups.setdefault(s, []).append(i)
        for settings, idx in groups.items():
            for i, text in zip(idx, self._generate([batch[i][0] for i in idx], settings),
                               strict=True):
                out[i] = text
        return [t or "" for t in out]

    def _generate(self, requests: list[Request], settings: GenerationSettings) -> list[str]:
        import torch
        from transformers import GenerationConfig

        tok, model = self._tokenizer, self._model
        rendered = [render_prompt(tok, r.messages) for r in requests]
        special = rendered[0][1]
        batch = tok([text for text, _ in rendered], return_tensors="pt", padding=True,
                    add_special_tokens=special).to(self._device)
        eos = model.generation_config.eos_token_id
        config = GenerationConfig(
            max_new_tokens=settings.max_new_tokens, do_sample=settings.sampling,
            temperature=settings.temperature if settings.sampling else None,
            top_p=settings.top_p if settings.sampling else None,
            pad_token_id=tok.pad_token_id,
            eos_token_id=eos if eos is not None else tok.eos_token_id)
        seed = hashlib.sha256(f"{settings.seed}|{'|'.join(r.key for r in requests)}".encode())
        torch.manual_seed(int.from_bytes(seed.digest()[:8], "big") % (1 << 63))
        with torch.inference_mode():
            ids = model.generate(**batch, generation_config=config)
        self.calls += 1
        new = ids[:, batch["input_ids"].shape[1]:]
        return [str(t) for t in tok.batch_decode(new, skip_special_tokens=True)]
