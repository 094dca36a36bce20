"""``jepa``: predict the layout in latent space, then write the code around it.

Every object without a given position is masked; the model predicts its box;
the shared composer (:func:`benchmark.compose.compose_scene`) writes idiomatic
Manim CE code that creates each object and scales/moves it into its predicted
box (objects that follow others — graphs, arrows, braces — are built from what
they follow).  The model, the text encoder and the embedding cache load once
per process; object sizes and embeddings are cached, so a scene costs one
forward pass.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from benchmark.compose import ComposeError, Placement, compose_writable
from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.core.submission import Generation, Submission, SubmissionError
from benchmark.core.tasks import Task
from benchmark.core.text import EmbeddingCache, TextEncoder
from jepa_model.codegen import LLM_ARGS, LayoutLlm
from jepa_model.data import collate
from jepa_model.features import Featurizer

__all__ = ["DEFAULT_CHECKPOINT", "Jepa", "JepaPredictor"]

DEFAULT_CHECKPOINT = Path(__file__).parent / "checkpoints" / "base"


class JepaPredictor:
    """A loaded checkpoint plus its featurizer: ``boxes(task)`` → predicted layout."""

    def __init__(self, checkpoint: Path) -> None:
        import torch

        from jepa_model.checkpoint import CheckpointError, load_checkpoint

        self.model, self.config, self.state = load_checkpoint(checkpoint)
        self.model.eval()
        encoder = TextEncoder.load(self.config.data.text_encoder)
        trained_with = self.state.get("encoder_id")
        if trained_with and trained_with != encoder.id:
            raise CheckpointError(f"{checkpoint}: trained with text encoder {trained_with}, "
                                  f"but data.text_encoder loads {encoder.id}")
        self.featurizer = Featurizer(encoder, EmbeddingCache(encoder))
        self.torch = torch
        self.lock = threading.Lock()

    def boxes(self, task: Task) -> dict[str, tuple[float, float, float, float]]:
        """Object id → predicted (cx, cy, w, h) in scene units, for every object."""
        return self.layout(task)[0]

    def layout(self, task: Task) -> tuple[dict[str, tuple[float, float, float, float]],
                                          dict[str, tuple[float, float]]]:
        """Predicted boxes (as :meth:`boxes`) and the intrinsic sizes the model was given
        (object id → (w, h) in scene units, for the objects whose size is known)."""
        with self.lock:  # one forward at a time: the model is shared by the runner's threads
            scene = self.featurizer.scene(task)
            batch = collate([scene], np.random.default_rng(0), train=False,
                            image=self.config.model.image)
            with self.torch.no_grad():
                pred = self.model.predict(batch)[0, : len(scene.object_ids)].float().numpy()
        # normalised (cx, cy, w, h) → scene units
        boxes = pred * np.array([FRAME_WIDTH / 2, FRAME_HEIGHT / 2, FRAME_WIDTH, FRAME_HEIGHT])
        out, sizes = {}, {}
        for i, (oid, row) in enumerate(zip(scene.object_ids, boxes, strict=True)):
            out[oid] = (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
            if scene.size_known[i]:
                sizes[oid] = (float(scene.size[i, 0]) * FRAME_WIDTH,
                              float(scene.size[i, 1]) * FRAME_HEIGHT)
        return out, sizes


_LOADED: dict[Path, JepaPredictor] = {}
_LOAD_LOCK = threading.Lock()


def _predictor(path: Path) -> JepaPredictor:
    from jepa_model.checkpoint import CheckpointError

    key = path.resolve()
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                _LOADED[key] = JepaPredictor(key)
            except (CheckpointError, FileNotFoundError) as exc:
                raise SubmissionError(f"jepa: {exc}") from None
        return _LOADED[key]


def _llm_args_help() -> dict[str, str]:
    return {f"llm_{k}": f"codegen=llm: the llm submission's {k}" for k in LLM_ARGS}


class Jepa(Submission):
    name = "jepa"
    args_help: ClassVar[dict[str, str]] = {
        "checkpoint": f"checkpoint folder (default: the shipped {DEFAULT_CHECKPOINT.name})",
        "codegen": "who writes the code around the predicted layout: compose (default: the "
                   "shared composer) or llm (the llm submission, with the layout as "
                   "constraints in its prompt; its options as llm_<name>, e.g. "
                   "llm_backend=openai llm_base_url=… llm_model=…)",
        "scale": "auto (default): rescale an object only when its predicted size differs "
                 "from its natural size by more than 15%; 1: always; 0: never (centre only)",
        **_llm_args_help(),
    }

    def __init__(self, **args: str) -> None:
        super().__init__(**args)
        codegen = self.args.get("codegen", "compose")
        if codegen not in ("compose", "llm"):
            raise SubmissionError(f"jepa: codegen must be compose or llm, got {codegen!r}")
        llm_args = {k[4:]: v for k, v in self.args.items() if k.startswith("llm_")}
        if llm_args and codegen != "llm":
            raise SubmissionError(f"jepa: llm_{next(iter(llm_args))} needs codegen=llm")
        self.writer = None
        if codegen == "llm":
            self.writer = LayoutLlm(**llm_args)
        self.checkpoint = Path(self.args.get("checkpoint", DEFAULT_CHECKPOINT))
        self.scale = self.args.get("scale", "auto")
        if self.scale not in ("auto", "0", "1"):
            raise SubmissionError(f"jepa: scale must be auto, 0 or 1, got {self.scale!r}")
        self.predictor = _predictor(self.checkpoint)

    def generate(self, task: Task) -> Generation:
        t0 = time.perf_counter()
        boxes, natural = self.predictor.layout(task)
        t1 = time.perf_counter()
        if self.writer is not None:
            gen = self.writer.write(task, boxes)
            gen.meta.update(checkpoint=str(self.checkpoint), codegen="llm",
                            layout_ms=round(1000 * (t1 - t0), 2))
            return gen
        placements = {oid: (Placement(cx, cy, w, h) if self._rescale(w, h, natural.get(oid))
                            else Placement(cx, cy))
                      for oid, (cx, cy, w, h) in boxes.items()}
        meta: dict[str, Any] = {"checkpoint": str(self.checkpoint),
                                "layout_ms": round(1000 * (t1 - t0), 2)}
        try:
            # objects the vocabulary cannot write (a 3b1b image or character) are left out,
            # as the composed oracle leaves them: they score as misses
            code, unwritable = compose_writable(task, placements)
        except ComposeError as exc:
            raise SubmissionError(f"jepa: cannot write task {task.id}: {exc}") from None
        if unwritable:
            meta["unwritable"] = unwritable
        meta["compose_ms"] = round(1000 * (time.perf_counter() - t1), 2)
        return Generation(code=code, meta=meta)

    def _rescale(self, w: float, h: float, natural: tuple[float, float] | None) -> bool:
        if self.scale != "auto":
            return self.scale == "1"
        if natural is None:
            return True  # no natural size to keep: the prediction is all there is
        nw, nh = natural
        off = [abs(p / n - 1) for p, n in ((w, nw), (h, nh)) if n > 0.05]
        return bool(off) and min(off) > 0.15
