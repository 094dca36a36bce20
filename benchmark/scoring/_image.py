"""Image scorers: LPIPS (AlexNet) and SSIM between the drawn frame and the reference frame.

LPIPS is only LPIPS with ImageNet-trained AlexNet features.  Nothing is ever
downloaded: the backbone comes from ``ScoringConfig.lpips_weights`` or from
torchvision's file in the torch hub cache (``$TORCH_HOME`` or
``$XDG_CACHE_HOME/torch``, default ``~/.cache/torch``, then
``hub/checkpoints/alexnet-owt-7be5be79.pth``).  Without it the metric is null
and ``lpips_model`` returns the reason instead of a model — a randomly
initialised backbone is never scored under this name.  The model is built
with a random backbone, then the backbone state dict and the ``lpips``
package's own linear-layer weights (``lpips/weights/v0.1/alex.pth``) are
loaded strictly; one model per weights file per process, built under a lock.
torch, torchvision and lpips are imported only when LPIPS is first used.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from benchmark.core.compat import ensure_torchvision
from benchmark.core.tasks import Task
from benchmark.outcome import Outcome
from benchmark.scoring._base import ScoreFn, ScoringConfig, scorer

__all__ = ["ALEXNET_FILE", "ALEXNET_SHA256_PREFIX", "LpipsModel", "hub_checkpoint",
           "lpips_distance", "lpips_model", "lpips_weights", "ssim_score"]

ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
ALEXNET_SHA256_PREFIX = "7be5be79"
NEED_WEIGHTS = (f"LPIPS needs AlexNet weights: pass --lpips-weights PATH (torchvision "
                f"{ALEXNET_FILE})")

_LOCK = threading.Lock()
_MODELS: dict[Path, LpipsModel | str] = {}


class LpipsModel:
    """A loaded LPIPS network and which backbone file it holds."""

    def __init__(self, net: Any, weights: Path, sha256: str) -> None:
        self.net = net
        self.weights = weights
        self.sha256 = sha256

    @property
    def official(self) -> bool:
        """Whether the backbone is torchvision's released ImageNet checkpoint."""
        return self.sha256.startswith(ALEXNET_SHA256_PREFIX)


def hub_checkpoint() -> Path:
    """Where torchvision keeps the AlexNet checkpoint (torch's own hub-dir rule)."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or "~/.cache", "torch")
    return Path(os.path.expanduser(home)) / "hub" / "checkpoints" / ALEXNET_FILE


def lpips_weights(config: ScoringConfig) -> Path | None:
    """The backbone file LPIPS would use, or ``None`` when there is none."""
    if config.lpips_weights is not None:
        return Path(config.lpips_weights)
    hub = hub_checkpoint()
    return hub if hub.is_file() else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _build(path: Path) -> LpipsModel | str:
    if not path.is_file():
        return f"LPIPS weights {path}: no such file"
    ensure_torchvision()
    import lpips
    import torch

    try:
        sha256 = _sha256(path)
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable checkpoint is a reason, not a crash
        return f"LPIPS weights {path}: cannot load: {type(exc).__name__}: {exc}"
    if not isinstance(state, dict):
        return f"LPIPS weights {path}: not a state dict"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision's "pretrained is deprecated"
        net = lpips.LPIPS(net="alex", pretrained=False, pnet_rand=True, verbose=False)
    backbone = {}
    for key in net.net.state_dict():  # "slice1.0.weight" holds AlexNet's features.0.weight
        _, index, param = key.split(".")
        source = f"features.{index}.{param}"
        if source not in state:
            return f"LPIPS weights {path}: not a torchvision AlexNet state dict ({source} missing)"
        backbone[key] = state[source]
    linear_path = Path(lpips.__file__).parent / "weights" / "v0.1" / "alex.pth"
    linear = torch.load(linear_path, map_location="cpu", weights_only=True)
    # lin0…lin4 (``lins.N`` are the same modules under a second name)
    linear_keys = {k for k in net.state_dict() if k.split(".")[0][3:].isdigit()}
    if set(linear) != linear_keys:
        return f"LPIPS linear weights {linear_path}: do not fit the network"
    try:
        net.net.load_state_dict(backbone, strict=True)
        net.load_state_dict(linear, strict=False)
    except RuntimeError as exc:
        return f"LPIPS weights {path}: wrong shapes: {str(exc).splitlines()[0]}"
    net.eval()
    return LpipsModel(net, path, sha256)


def lpips_model(config: ScoringConfig) -> LpipsModel | str:
    """The cached LPIPS model for ``config``, or the one-line reason there is none."""
    if not config.lpips:
        return "LPIPS disabled"
    path = lpips_weights(config)
    if path is None:
        return NEED_WEIGHTS
    key = path.resolve()
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = _build(path)
        return _MODELS[key]


def _same_size(frame: np.ndarray, like: np.ndarray) -> np.ndarray:
    frame = frame[..., :3]
    if frame.shape[:2] == like.shape[:2]:
        return frame
    from PIL import Image

    h, w = like.shape[:2]
    return np.array(Image.fromarray(np.ascontiguousarray(frame)).resize(
        (w, h), Image.Resampling.BILINEAR))


def lpips_distance(model: LpipsModel, frame: np.ndarray, reference: np.ndarray) -> float:
    """LPIPS between two (h, w, 3) uint8 frames (``frame`` resized to ``reference``)."""
    import torch

    reference = reference[..., :3]
    frame = _same_size(frame, reference)

    def tensor(img: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.array(img, dtype=np.float32)).permute(2, 0, 1)[None]
        return t / 127.5 - 1.0  # NCHW in [-1, 1]

    with torch.inference_mode():
        return float(model.net(tensor(frame), tensor(reference)).item())


_SSIM_WIN = 7  # skimage's default window: 7 x 7 uniform, sample covariance
_SSIM_PAD = (_SSIM_WIN - 1) // 2


def ssim_score(frame: np.ndarray, reference: np.ndarray) -> float:
    """SSIM of the grayscale frames (``frame`` resized to ``reference``): skimage's
    ``structural_similarity`` with its defaults (7 x 7 uniform window, sample covariance,
    ``data_range=1``; the mean over the windows that fit in the frame).

    A window whose pixels are equal in both frames has SSIM exactly 1, so only the bands
    of rows where the frames differ are computed, each over the columns where they
    differ, grown by a window on every side; every other window counts 1.  The mean is
    skimage's over the whole frame to rounding (about 1e-14) in a fraction of the time
    (rescoring a run is mostly this).
    """
    reference = reference[..., :3]
    frame = _same_size(frame, reference)
    h, w = reference.shape[:2]
    if min(h, w) < 2 * _SSIM_WIN:
        from skimage.color import rgb2gray
        from skimage.metrics import structural_similarity

        return float(structural_similarity(rgb2gray(frame), rgb2gray(reference),
                                           data_range=1.0))
    differs = (frame != reference).reshape(h, -1)  # (h, 3w): reductions along long axes
    rows = np.flatnonzero(differs.any(axis=1))
    if rows.size == 0:
        return 1.0
    grow = 2 * _SSIM_PAD  # the windows touching a changed pixel, with their whole windows
    gaps = np.flatnonzero(np.diff(rows) > 2 * grow)  # bands whose windows never meet
    total, counted = 0.0, 0
    for a, b in zip(np.r_[rows[0], rows[gaps + 1]], np.r_[rows[gaps], rows[-1]], strict=True):
        cols = np.flatnonzero(differs[a:b + 1].any(axis=0))
        r0, r1 = max(0, int(a) - grow), min(h, int(b) + 1 + grow)
        c0, c1 = max(0, int(cols[0]) // 3 - grow), min(w, int(cols[-1]) // 3 + 1 + grow)
        s, n = _ssim_sum(_gray(frame[r0:r1, c0:c1]), _gray(reference[r0:r1, c0:c1]))
        total, counted = total + s, counted + n
    n_all = (h - 2 * _SSIM_PAD) * (w - 2 * _SSIM_PAD)
    return float((total + (n_all - counted)) / n_all)


_GRAY = np.array([0.2125, 0.7154, 0.0721])  # skimage.color.rgb2gray's weights


def _gray(rgb: np.ndarray) -> np.ndarray:
    """``skimage.color.rgb2gray`` of a uint8 RGB image, without importing skimage (which
    costs a rescore a noticeable share of its time): scaled to [0, 1], then weighted."""
    if rgb.dtype != np.uint8:
        from skimage.color import rgb2gray

        return rgb2gray(rgb)  # type: ignore[no-any-return]
    return np.multiply(rgb, 1.0 / 255, dtype=np.float64) @ _GRAY


def _ssim_sum(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """The sum and count of SSIM over the windows that fit in ``x`` / ``y``, computed as
    skimage's ``structural_similarity`` computes it (the same filters and operations)."""
    from scipy.ndimage import uniform_filter

    ux, uy = uniform_filter(x, _SSIM_WIN), uniform_filter(y, _SSIM_WIN)
    uxx, uyy = uniform_filter(x * x, _SSIM_WIN), uniform_filter(y * y, _SSIM_WIN)
    uxy = uniform_filter(x * y, _SSIM_WIN)
    inner = (slice(_SSIM_PAD, -_SSIM_PAD), slice(_SSIM_PAD, -_SSIM_PAD))
    ux, uy, uxx, uyy, uxy = ux[inner], uy[inner], uxx[inner], uyy[inner], uxy[inner]
    cov_norm = _SSIM_WIN ** 2 / (_SSIM_WIN ** 2 - 1)
    vx, vy = cov_norm * (uxx - ux * ux), cov_norm * (uyy - uy * uy)
    vxy = cov_norm * (uxy - ux * uy)
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    return float(s.sum(dtype=np.float64)), int(s.size)


def _frames(outcome: Outcome) -> tuple[np.ndarray, np.ndarray] | None:
    if outcome.status != "ok" or outcome.frame is None or outcome.reference_frame is None:
        return None
    return outcome.frame, outcome.reference_frame


@scorer("lpips", metrics=("lpips",))
def lpips(config: ScoringConfig) -> ScoreFn:
    """Perceptual distance to the reference frame; null without real AlexNet weights."""

    def score(task: Task, outcome: Outcome) -> dict[str, float | None]:
        frames = _frames(outcome)
        if frames is None:
            return {"lpips": None}
        model = lpips_model(config)
        if isinstance(model, str):
            return {"lpips": None}
        return {"lpips": lpips_distance(model, *frames)}

    return score


@scorer("ssim", metrics=("ssim",))
def ssim(config: ScoringConfig) -> ScoreFn:
    """Structural similarity to the reference frame."""

    def score(task: Task, outcome: Outcome) -> dict[str, float | None]:
        frames = _frames(outcome)
        return {"ssim": None if frames is None else ssim_score(*frames)}

    return score
