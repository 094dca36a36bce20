"""What a keyframe adds to the one before it: the context of a 3b1b task.

A 3b1b keyframe usually keeps most of what the previous wait showed and adds
or moves a few objects.  The ManimGL driver numbers every mobject once per
scene run (``scene.uids`` in the snapshot header, one number per member), so an
object of this wait is *kept* when the previous wait showed the same mobject
(the number of its root) on (nearly) the same box — IoU ≥ ``KEEP_IOU``.  An
object whose mobject is new but that looks exactly like one of the previous
wait (same kind, content and box: a ``ReplacementTransform`` into a copy) is
kept too, since the viewer cannot tell them apart.  Kept objects become the
task's ``given`` context; the others (new, moved or resized) are its targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchmark.core.tasks import Box
from benchmark.suites.threeb1b.objects import GLObject

__all__ = ["KEEP_IOU", "Shown", "kept", "shown"]

KEEP_IOU = 0.95


@dataclass(frozen=True)
class Shown:
    """One object on screen at a wait: its mobject's number (None: unknown), kind,
    content and box."""

    uid: int | None
    kind: str
    content: str
    box: Box


def shown(objs: Sequence[GLObject], uids: Sequence[object] | None) -> list[Shown]:
    """The objects of one snapshot with the numbers of their root mobjects."""
    out = []
    for o in objs:
        uid = uids[o.root] if uids is not None and 0 <= o.root < len(uids) else None
        out.append(Shown(uid if isinstance(uid, int) and not isinstance(uid, bool) else None,
                         o.kind, o.content, Box(*o.box)))
    return out


def kept(now: Sequence[Shown], before: Sequence[Shown], iou: float = KEEP_IOU) -> list[bool]:
    """Per object of ``now``: was it already on screen, where it is, at ``before``?

    First by identity (the same mobject on a box with IoU ≥ ``iou``), then, for
    mobjects that were not on screen before, by look (same kind and content,
    IoU ≥ ``iou``); each object of ``before`` is used once.
    """
    out = [False] * len(now)
    used: set[int] = set()
    by_uid = {b.uid: j for j, b in enumerate(before) if b.uid is not None}
    for i, o in enumerate(now):
        j = by_uid.get(o.uid) if o.uid is not None else None
        if j is not None and j not in used and o.box.iou(before[j].box) >= iou:
            out[i] = True
            used.add(j)
    for i, o in enumerate(now):
        if out[i] or (o.uid is not None and o.uid in by_uid):
            continue  # kept, or a mobject that was on screen elsewhere: it moved
        best, best_iou = None, iou
        for j, b in enumerate(before):
            if j in used or (b.kind, b.content) != (o.kind, o.content):
                continue
            v = o.box.iou(b.box)
            if v >= best_iou:
                best, best_iou = j, v
        if best is not None:
            out[i] = True
            used.add(best)
    return out
