"""The jepa tests' micro training setup: the tiny config shrunk, and a private XDG cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

TINY = Path(__file__).resolve().parent.parent / "jepa_model" / "configs" / "tiny.yaml"


def micro_config(folder: Path, *, scenes: int, steps: int, batch_size: int, eval_every: int,
                 **model: Any) -> Path:
    """A config file in ``folder``: a one-layer 32-wide model (plus ``model`` overrides)
    trained for ``steps`` steps on the first ``scenes`` synthetic train scenes, features cached
    in ``folder``."""
    d = yaml.safe_load(TINY.read_text())
    d["model"].update(d_model=32, depth=1, heads=2, predictor_dim=16, predictor_depth=1,
                      predictor_heads=2, **model)
    d["optim"].update(epochs=1, max_steps=steps, batch_size=batch_size, warmup_steps=2)
    d["data"].update(synthetic_n=scenes, block=scenes, cache_dir=str(folder / "features"),
                     threeb1b_dev=False)
    d["run"].update(eval_every=eval_every, log_every=1, out_dir=str(folder / "out"))
    path = folder / "micro.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def private_cache(folder: Path) -> dict[str, str]:
    """Point ``XDG_CACHE_HOME`` (embedding cache) at ``folder`` for this process, and return
    the environment for subprocesses."""
    os.environ["XDG_CACHE_HOME"] = str(folder)
    return dict(os.environ, XDG_CACHE_HOME=str(folder))
