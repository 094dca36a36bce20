"""Typed configuration for the layout JEPA: one dataclass per concern, parsed strictly from YAML.

A run is described by a :class:`Config` (model, optimiser, data, run) read from a YAML file by
:func:`load_config`.  Parsing is strict because a typo in a config silently falling back to a
default wastes a GPU run: an unknown key or a value of the wrong type raises
:class:`ConfigError` with a one-line message naming the key (``model.depth``).  The resolved
config (defaults filled in) is written next to every checkpoint with :meth:`Config.to_yaml`, as
I-JEPA writes ``params-ijepa.yaml``; reading it back gives an equal ``Config``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from benchmark.core.tasks import KINDS

__all__ = ["AugmentConfig", "Config", "ConfigError", "DataConfig", "ImageConfig", "ModelConfig",
           "OptimConfig", "RunConfig", "config_from_dict", "load_config"]


class ConfigError(ValueError):
    """A config that cannot be used; the one-line message names the offending key."""


def _check(ok: bool, key: str, why: str) -> None:
    if not ok:
        raise ConfigError(f"{key}: {why}")


@dataclass(frozen=True)
class ImageConfig:
    """The optional image branch: a token summarising a rendered frame of the scene.

    ``ijepa_vit`` is a small ViT trained from scratch I-JEPA style: the context encoder sees only
    the patches the collator's block mask keeps (:mod:`jepa_model.masks`), the predictor
    predicts the target encoder's latents of the masked blocks.  ``clip`` uses a pretrained CLIP
    vision tower read from the local directory ``clip_path`` (no download).
    """

    kind: Literal["ijepa_vit", "clip"] = "ijepa_vit"
    image_height: int = 72
    image_width: int = 128
    patch_size: int = 8
    dim: int = 128
    depth: int = 2
    heads: int = 4
    n_pred_blocks: int = 4
    pred_scale: tuple[float, float] = (0.15, 0.2)
    pred_aspect: tuple[float, float] = (0.75, 1.5)
    context_scale: tuple[float, float] = (0.85, 1.0)
    min_keep: int = 4
    image_loss_weight: float = 1.0
    clip_path: str | None = None
    freeze_clip: bool = True

    def __post_init__(self) -> None:
        if self.kind == "clip":
            _check(bool(self.clip_path), "model.image.clip_path", "required when kind is 'clip'")
            return
        p = self.patch_size
        _check(p > 0, "model.image.patch_size", "must be positive")
        _check(self.image_height % p == 0 and self.image_width % p == 0,
               "model.image.patch_size",
               f"{p} does not divide the image size {self.image_height}x{self.image_width}")
        _check(self.dim % self.heads == 0, "model.image.heads", f"must divide dim {self.dim}")
        for name in ("pred_scale", "context_scale"):
            lo, hi = getattr(self, name)
            _check(0 < lo <= hi <= 1, f"model.image.{name}", "must satisfy 0 < lo <= hi <= 1")
        lo, hi = self.pred_aspect
        _check(0 < lo <= hi, "model.image.pred_aspect", "must satisfy 0 < lo <= hi")

    @property
    def grid(self) -> tuple[int, int]:
        """Patch grid (rows, columns) of the ViT."""
        return self.image_height // self.patch_size, self.image_width // self.patch_size


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and loss weights.  ``predictor_dim`` is narrow on purpose (I-JEPA): the
    predictor must not have the capacity to simply copy the encoder."""

    objective: Literal["jepa", "supervised"] = "jepa"
    text_dim: int = 384
    d_model: int = 128
    depth: int = 3
    heads: int = 4
    mlp_ratio: float = 4.0
    dropout: float = 0.0
    predictor_dim: int = 64
    predictor_depth: int = 2
    predictor_heads: int = 4
    n_kinds: int = len(KINDS)
    structure: bool = True  # family, stated places and relations as inputs (jepa_model.structure)
    latent_loss: Literal["smooth_l1", "mse"] = "smooth_l1"
    latent_loss_weight: float = 1.0
    box_loss_weight: float = 1.0
    #: mse: squared error of the normalised (cx, cy, w, h); l1_giou: absolute error plus
    #: giou_loss_weight · (1 − generalised IoU), as in DETR — IoU is what the benchmark scores,
    #: and an absolute error keeps pulling where a squared one has flattened out
    box_loss: Literal["mse", "l1_giou"] = "mse"
    giou_loss_weight: float = 0.4
    kind_loss_weight: float = 0.1
    #: decode centres as Manim placements (anchor, edges, gap: jepa_model.placement) rather
    #: than from the layout head's absolute regression alone
    placement: bool = False
    placement_dim: int = 128
    placement_loss_weight: float = 0.05
    image: ImageConfig | None = None

    def __post_init__(self) -> None:
        _check(self.d_model % self.heads == 0, "model.heads", f"must divide d_model {self.d_model}")
        _check(self.predictor_dim % self.predictor_heads == 0, "model.predictor_heads",
               f"must divide predictor_dim {self.predictor_dim}")
        for name in ("text_dim", "d_model", "depth", "predictor_dim", "predictor_depth"):
            _check(getattr(self, name) > 0, f"model.{name}", "must be positive")
        _check(self.n_kinds >= len(KINDS), "model.n_kinds", f"must be at least {len(KINDS)}")
        _check(0.0 <= self.dropout < 1.0, "model.dropout", "must be in [0, 1)")


@dataclass(frozen=True)
class OptimConfig:
    """AdamW with linear warmup and cosine decay; EMA momentum rises linearly to ``ema_end``."""

    lr: float = 1e-3
    min_lr: float = 1e-5
    weight_decay: float = 0.05
    warmup_steps: int = 200
    epochs: int = 20
    max_steps: int | None = None
    batch_size: int = 64
    grad_accum: int = 1
    grad_clip: float = 1.0
    ema_start: float = 0.996
    ema_end: float = 1.0

    def __post_init__(self) -> None:
        _check(self.batch_size > 0, "optim.batch_size", "must be positive")
        _check(self.grad_accum > 0, "optim.grad_accum", "must be positive")
        _check(0.0 <= self.ema_start <= self.ema_end <= 1.0, "optim.ema_start",
               "must satisfy 0 <= ema_start <= ema_end <= 1")


@dataclass(frozen=True)
class AugmentConfig:
    """Training-time augmentation of positions and sizes (normalised units); field names and
    defaults match ``jepa_model.data``: ``jitter`` is the σ of Gaussian noise on context
    centres, ``scale`` the half-width a of a per-scene U[1-a, 1+a] scale, ``hflip`` a mirror in x
    with probability ½ (off: it contradicts left_of/right_of and prompts that say "left")."""

    jitter: float = 0.01
    scale: float = 0.0
    hflip: bool = False
    color_jitter: float = 0.2  # image branch: per-frame brightness and contrast in [1-a, 1+a]

    def __post_init__(self) -> None:
        _check(self.jitter >= 0.0, "data.augment.jitter", "must be >= 0")
        _check(0.0 <= self.scale < 1.0, "data.augment.scale", "must be in [0, 1)")
        _check(0.0 <= self.color_jitter < 1.0, "data.augment.color_jitter", "must be in [0, 1)")


@dataclass(frozen=True)
class DataConfig:
    """Which scenes train and how the collator masks them; the shared fields match
    ``jepa_model.data.DataConfig`` (synthetic ``train`` indices ``[synthetic_start,
    synthetic_start + synthetic_n)``, the 3b1b dev split when prepared).  ``text_encoder``: a
    local sentence-encoder folder, or None for the packaged all-MiniLM-L6-v2.  Training masks
    k ∈ [mask_min, min(mask_max, m)] of a scene's m non-given objects."""

    synthetic_start: int = 0
    synthetic_n: int = 10_000
    threeb1b_dev: bool = True
    block: int = 1000
    cache_dir: str | None = None
    text_encoder: str | None = None
    mask_min: int = 1
    mask_max: int | None = None
    #: pad every training batch to at least this many objects (static shapes for
    #: torch.compile: one compilation instead of one per object count); None: the batch's max
    pad_to: int | None = None
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def __post_init__(self) -> None:
        _check(self.synthetic_n >= 0, "data.synthetic_n", "must be >= 0")
        _check(self.mask_min >= 1, "data.mask_min", "must be at least 1")
        _check(self.mask_max is None or self.mask_max >= self.mask_min, "data.mask_max",
               "must be at least mask_min")


@dataclass(frozen=True)
class RunConfig:
    """Where and how a run executes."""

    seed: int = 0
    device: str = "auto"
    precision: Literal["bf16", "fp32"] = "fp32"
    compile: bool = False
    out_dir: str = "runs/jepa"
    log_every: int = 50
    eval_every: int = 500
    #: also write metrics.csv's rows as TensorBoard scalars under <out>/tensorboard (needs the
    #: tensorboard package)
    tensorboard: bool = False


@dataclass(frozen=True)
class Config:
    """A whole run: one typed section per concern."""

    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML/JSON-able dict (tuples become lists)."""
        return _plain(dataclasses.asdict(self))

    def to_yaml(self) -> str:
        """The resolved config, every default filled in; :func:`load_config` reads it back."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}"


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Check ``value`` against the type ``hint`` and return it converted (lists → tuples)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(value, inner, key)
    if origin is Literal:
        allowed = typing.get_args(hint)
        _check(value in allowed, key, f"expected one of {', '.join(map(repr, allowed))}, "
                                      f"got {value!r}")
        return value
    if origin is tuple:
        args = typing.get_args(hint)
        _check(isinstance(value, list | tuple) and len(value) == len(args), key,
               f"expected a list of {len(args)} numbers, got {_describe(value)}")
        return tuple(_coerce(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args,
                                                                                 strict=True)))
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key)
    if hint is bool:
        _check(isinstance(value, bool), key, f"expected a boolean, got {_describe(value)}")
    elif hint is int:
        _check(isinstance(value, int) and not isinstance(value, bool), key,
               f"expected an integer, got {_describe(value)}")
    elif hint is float:
        _check(isinstance(value, int | float) and not isinstance(value, bool), key,
               f"expected a number, got {_describe(value)}")
        return float(value)
    elif hint is str:
        _check(isinstance(value, str), key, f"expected a string, got {_describe(value)}")
    else:  # pragma: no cover - a field type this parser does not know is a programming error
        raise TypeError(f"{key}: unsupported config field type {hint!r}")
    return value


def _build(cls: Any, data: Any, prefix: str) -> Any:
    where = prefix or "config"
    _check(isinstance(data, dict), where, f"expected a mapping, got {_describe(data)}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in names:
            full = f"{prefix}.{key}" if prefix else str(key)
            raise ConfigError(f"{full}: unknown key (expected one of: {', '.join(names)})")
    kwargs = {k: _coerce(v, hints[k], f"{prefix}.{k}" if prefix else k) for k, v in data.items()}
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:  # pragma: no cover - defensive
        raise ConfigError(f"{where}: {exc}") from exc


def config_from_dict(data: dict[str, Any]) -> Config:
    """Build a :class:`Config` from a parsed mapping; missing keys take their defaults."""
    return _build(Config, data, "")


def load_config(path: str | Path) -> Config:
    """Read and strictly validate a YAML config; every error is a one-line :class:`ConfigError`
    that starts with the file name and names the key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path}: not valid YAML ({first})") from exc
    try:
        return config_from_dict({} if data is None else data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
