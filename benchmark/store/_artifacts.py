"""Files next to the database: per-run code, content-addressed frames and snapshots.

Every file is written to a temporary name and renamed into place, so a killed
run leaves either the whole file or none; a row is committed only after its
files exist, so a row never points at a missing file (a kill can leave an
unreferenced file, never a dangling reference).  Files are not fsynced: this
survives a killed process, not a power cut (nor does SQLite's WAL with
``synchronous=NORMAL``).  Paths handed out are
relative to the artifact root, with ``/`` separators.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["Artifacts", "task_slug"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def task_slug(task_id: str) -> str:
    """A file-name-safe, collision-free name for a task id."""
    slug = _UNSAFE.sub("_", task_id.replace("/", "__")).strip("._") or "task"
    if slug != task_id or len(slug) > 120:
        slug = f"{slug[:100]}-{hashlib.sha256(task_id.encode()).hexdigest()[:8]}"
    return slug


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Artifacts:
    """The artifact root: ``<run_id>/<task-slug>.py`` and ``artifacts/{frames,snapshots}/``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write_code(self, run_id: str, task_id: str, code: str) -> str:
        rel = f"{task_slug(run_id)}/{task_slug(task_id)}.py"
        atomic_write(self.root / rel, code.encode("utf-8"))
        return rel

    def put_blob(self, kind: str, data: bytes, suffix: str) -> str:
        """Store ``data`` once under its sha256; return the relative path."""
        digest = hashlib.sha256(data).hexdigest()
        rel = f"artifacts/{kind}/{digest}{suffix}"
        path = self.root / rel
        if not path.exists():
            atomic_write(path, data)
        return rel

    def put_frame(self, frame: np.ndarray) -> str:
        """Save an RGB(A) frame as an RGB PNG (lossless, so reloading is exact)."""
        from PIL import Image

        rgb = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(rgb, mode="RGB").save(buf, format="PNG", compress_level=1)
        return self.put_blob("frames", buf.getvalue(), ".png")

    def put_snapshot(self, payload: bytes) -> str:
        return self.put_blob("snapshots", payload, ".bin")

    def read_frame(self, rel: str) -> np.ndarray:
        """An (h, w, 3) uint8 RGB array."""
        from PIL import Image

        with Image.open(self.root / rel) as im:
            return np.asarray(im if im.mode == "RGB" else im.convert("RGB"), dtype=np.uint8)
