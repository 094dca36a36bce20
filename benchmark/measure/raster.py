"""Draw a validated Snapshot with manim's own Cairo camera, and measure visibility.

The frame is drawn by trusted code at the harness's fixed resolution and frame
size, whatever the child did to ``config``: every family member is rebuilt as a
plain mobject from its points and style and handed to a fresh ``Camera``.

Visibility ("only what can be seen counts"): each semantic object's members are
drawn alone on a transparent layer.  Its visible pixels are those it paints
where the frame differs from what the viewer would see without it: the
background plus whatever lies under it that is itself visible, with
everything drawn later on top.  So an object that is transparent, drawn in the
colour of what it stands on, covered by something drawn later, or wholly
off-frame has none; and an object in the background colour that hides
another one is not "visible" because of what it hides (both have none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.measure.objects import SemanticObject
from benchmark.sandbox.runtime import wire
from benchmark.snapshot import Member, Snapshot

__all__ = ["RasterResult", "Rasteriser"]

VISIBLE_DELTA = 8 / 255  # a pixel counts when some channel changes by more than this
MIN_VISIBLE_PX = 3


@dataclass
class RasterResult:
    frame: np.ndarray  # (h, w, 4) uint8 RGBA, the drawn frame
    visible_px: list[int]  # per semantic object, in the order given


class Rasteriser:
    """Reusable: holds manim's camera classes; one instance per thread."""

    def __init__(self, width: int = 854, height: int = 480) -> None:
        import manim  # trusted library, imported here so light commands stay fast
        from manim.camera.camera import Camera
        from manim.mobject.types.image_mobject import ImageMobject
        from manim.mobject.types.point_cloud_mobject import PMobject

        self.width, self.height = width, height
        self._manim = manim
        self._Camera = Camera
        self._ImageMobject = ImageMobject
        self._PMobject = PMobject
        self._vm_class = _snapshot_vmobject_class(manim.VMobject)

    def camera(self, background: tuple[int, int, int, int] | None) -> object:
        if background is None:
            color, opacity = "#000000", 0.0
        else:
            r, g, b, a = background
            color, opacity = f"#{r:02x}{g:02x}{b:02x}", a / 255
        return self._Camera(pixel_width=self.width, pixel_height=self.height,
                            frame_width=FRAME_WIDTH, frame_height=FRAME_HEIGHT,
                            frame_center=np.zeros(3), background_color=color,
                            background_opacity=opacity, use_z_index=True)

    # -- rebuilding ------------------------------------------------------------
    def rebuild(self, m: Member) -> object | None:
        """A childless mobject that the camera draws exactly like the original."""
        if len(m.points) == 0:
            return None
        if m.draw == wire.DRAW_VECTOR:
            from manim.constants import CapStyleType, LineJointType

            vm = self._vm_class()
            vm.points = m.points.copy()
            vm.fill_rgbas = _rgba(m.fill)
            vm.stroke_rgbas = _rgba(m.stroke)
            vm.background_stroke_rgbas = _rgba(m.bg_stroke)
            vm.stroke_width = m.stroke_width
            vm.background_stroke_width = m.bg_stroke_width
            vm.sheen_factor = m.sheen
            vm.joint_type = LineJointType[m.joint]
            vm.cap_style = CapStyleType[m.cap]
            vm.z_index = m.z
            vm.gradient_points = None if m.gradient is None else (m.gradient[0], m.gradient[1])
            return vm
        if m.draw == wire.DRAW_IMAGE and m.pixels is not None and len(m.points) >= 3:
            img = self._ImageMobject(np.ascontiguousarray(m.pixels))
            img.points = m.points.copy()
            img.resampling_algorithm = m.resampling
            img.z_index = m.z
            return img
        if m.draw == wire.DRAW_POINTS and m.rgbas is not None and len(m.rgbas) == len(m.points):
            pm = self._PMobject(stroke_width=max(1, int(m.stroke_width)))
            pm.points = m.points.copy()
            pm.rgbas = m.rgbas.copy()
            pm.z_index = m.z
            return pm
        return None  # a plain Mobject: geometry, but nothing the camera draws

    # -- drawing -----------------------------------------------------------------
    def render(self, snap: Snapshot, objects: list[SemanticObject]) -> RasterResult:
        rebuilt: list[tuple[int, object]] = []
        for m in snap.members:  # pre-order, as manim's family extraction
            mob = self.rebuild(m)
            if mob is not None:
                rebuilt.append((m.index, mob))
        cam = self.camera(snap.background)
        cam.capture_mobjects([mob for _, mob in rebuilt])
        frame = np.array(cam.pixel_array, dtype=np.uint8)
        visible = self._visibility(snap, objects, rebuilt, frame)
        return RasterResult(frame=frame, visible_px=visible)

    def _visibility(self, snap: Snapshot, objects: list[SemanticObject],
                    rebuilt: list[tuple[int, object]], frame: np.ndarray) -> list[int]:
        owner = {}
        for k, obj in enumerate(objects):
            for i in obj.members:
                owner.setdefault(i, k)
        # Draw order: the camera's stable sort by z_index over pre-order.
        order = sorted(range(len(rebuilt)), key=lambda j: rebuilt[j][1].z_index)
        runs: list[tuple[int, list[object]]] = []  # (object or -1, members) in draw order
        for j in order:
            idx, mob = rebuilt[j]
            k = owner.get(idx, -1)
            if runs and runs[-1][0] == k:
                runs[-1][1].append(mob)
            else:
                runs.append((k, [mob]))
        layers = [(k, self._layer(mobs)) for k, mobs in runs]
        bg = np.empty((1, 1, 4), dtype=np.float32)
        bg[0, 0, :3] = np.array(snap.background[:3], dtype=np.float32) / 255
        bg[0, 0, 3] = snap.background[3] / 255
        bg[0, 0, :3] *= bg[0, 0, 3]
        counts = [0] * len(objects)
        # Bottom-up: what lies under a run counts only where the viewer can see it, so a
        # lower run that ended up hidden is left out of the background it is compared with.
        shown = [k < 0 and layer is not None for k, layer in layers]
        for n, (k, layer) in enumerate(layers):
            if k < 0 or layer is None:
                continue
            (y0, y1, x0, x1), pix = layer
            seen = np.broadcast_to(bg, (y1 - y0, x1 - x0, 4)).copy()
            without = seen.copy()
            for m, (_, other) in enumerate(layers):
                _over(seen, other, (y0, y1, x0, x1))
                if m != n and (m > n or shown[m]):
                    _over(without, other, (y0, y1, x0, x1))
            delta = np.abs(seen[..., :3] - without[..., :3]).max(axis=2)
            px = int(((delta > VISIBLE_DELTA) & (pix[..., 3] > 0)).sum())
            counts[k] += px
            shown[n] = px >= MIN_VISIBLE_PX
        return counts

    def _layer(self, mobs: list[object]) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
        cam = self.camera(None)
        cam.capture_mobjects(mobs)
        alpha = cam.pixel_array[..., 3]
        ys = np.flatnonzero(alpha.any(axis=1))
        if len(ys) == 0:
            return None
        xs = np.flatnonzero(alpha.any(axis=0))
        y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
        crop = cam.pixel_array[y0:y1, x0:x1].astype(np.float32) / 255  # premultiplied
        return (y0, y1, x0, x1), crop


def _over(dst: np.ndarray, layer: tuple | None, region: tuple[int, int, int, int]) -> None:
    """Composite a premultiplied layer over ``dst`` (which covers ``region``)."""
    if layer is None:
        return
    (ly0, ly1, lx0, lx1), pix = layer
    y0, y1, x0, x1 = region
    iy0, iy1, ix0, ix1 = max(y0, ly0), min(y1, ly1), max(x0, lx0), min(x1, lx1)
    if iy0 >= iy1 or ix0 >= ix1:
        return
    src = pix[iy0 - ly0 : iy1 - ly0, ix0 - lx0 : ix1 - lx0]
    d = dst[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
    d *= 1 - src[..., 3:4]
    d += src


def _rgba(arr: np.ndarray | None) -> np.ndarray:
    return np.zeros((1, 4)) if arr is None else arr.copy()


def _snapshot_vmobject_class(VMobject: type) -> type:
    class SnapshotVMobject(VMobject):  # type: ignore[misc, valid-type]
        """A rebuilt family member; keeps the original's gradient endpoints."""

        gradient_points: tuple[np.ndarray, np.ndarray] | None = None

        def get_gradient_start_and_end_points(self) -> tuple[np.ndarray, np.ndarray]:
            if self.gradient_points is not None:
                return self.gradient_points
            return super().get_gradient_start_and_end_points()

    return SnapshotVMobject
