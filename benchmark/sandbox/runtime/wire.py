"""Wire format shared by the sandbox child and the trusted parent.

This module is bind-mounted read-only into the sandbox and imported there as a
top-level module, so it may import only the standard library and numpy.

Frames
------
Every message on a pipe is one frame::

    magic  4 bytes  b"JMW1"
    kind   1 byte   one of the ``KIND_*`` constants
    length 4 bytes  little-endian unsigned payload length
    payload

Snapshot payload (``KIND_SNAPSHOT``, format version ``SNAPSHOT_VERSION``)
--------------------------------------------------------------------------
::

    version     2 bytes  little-endian unsigned
    header_len  4 bytes  little-endian unsigned
    header      JSON (UTF-8): {"scene": {...}, "members": [...], "arrays": [...]}
    data        the arrays' bytes, back to back, in the order of "arrays"

``arrays`` lists ``[dtype, shape]`` with dtype one of ``ARRAY_DTYPES``.
``members`` are the scene's mobjects in family pre-order; each names its parent
member index (``-1`` for a top-level mobject) and refers to its arrays by
index.  Nothing in a frame is ever executed or unpickled by the reader.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

MAGIC = b"JMW1"
FRAME_HEADER = struct.Struct("<4sBI")

KIND_REQUEST = 1  # parent -> server: run this code
KIND_SNAPSHOT = 2  # child -> parent: one keyframe
KIND_RESULT = 3  # child -> parent: what the child says happened
KIND_DATA = 4  # server -> parent: the child's raw frames, relayed unparsed
KIND_DONE = 5  # server -> parent: how the child ended (observed by the server)
KIND_READY = 6  # server -> parent: imports done, waiting for requests

SNAPSHOT_VERSION = 2  # 2: members may carry ``settings`` (how their text was typeset)
SNAPSHOT_VERSIONS_READ = (1, 2)
SNAPSHOT_HEAD = struct.Struct("<HI")
ARRAY_DTYPES = ("<f8", "<f4", "|u1")

# Member drawing types: how the trusted camera draws a member.
DRAW_VECTOR = "V"  # VMobject: cubic Bezier path, fill and stroke
DRAW_IMAGE = "I"  # ImageMobject: RGBA pixels mapped to its corner points
DRAW_POINTS = "P"  # PMobject: point cloud
DRAW_NONE = "M"  # a plain Mobject: has geometry but the camera draws nothing


def frame(kind: int, payload: bytes) -> bytes:
    return FRAME_HEADER.pack(MAGIC, kind, len(payload)) + payload


def json_frame(kind: int, obj: Any) -> bytes:
    return frame(kind, json.dumps(obj, allow_nan=False).encode())


def split_frames(blob: bytes, max_frames: int) -> list[tuple[int, bytes]]:
    """Split a byte string into frames; raise ValueError on any malformation."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    size = FRAME_HEADER.size
    while pos < len(blob):
        if len(blob) - pos < size:
            raise ValueError("truncated frame header")
        magic, kind, length = FRAME_HEADER.unpack_from(blob, pos)
        if magic != MAGIC:
            raise ValueError(f"bad frame magic at byte {pos}")
        pos += size
        if length > len(blob) - pos:
            raise ValueError("truncated frame payload")
        out.append((kind, blob[pos : pos + length]))
        pos += length
        if len(out) > max_frames:
            raise ValueError(f"more than {max_frames} frames")
    return out


def read_frame(stream: Any, max_payload: int) -> tuple[int, bytes] | None:
    """Read one frame from a binary stream; ``None`` at a clean end of stream."""
    head = _read_exact(stream, FRAME_HEADER.size)
    if head is None:
        return None
    magic, kind, length = FRAME_HEADER.unpack(head)
    if magic != MAGIC:
        raise ValueError("bad frame magic")
    if length > max_payload:
        raise ValueError(f"frame of {length} bytes exceeds {max_payload}")
    payload = _read_exact(stream, length) if length else b""
    if payload is None:
        raise ValueError("stream ended inside a frame")
    return kind, payload


def _read_exact(stream: Any, n: int) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise ValueError("stream ended inside a frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def encode_snapshot(scene: dict[str, Any], members: list[dict[str, Any]],
                    arrays: list[np.ndarray]) -> bytes:
    """Pack a snapshot payload. ``members`` refer to ``arrays`` by index."""
    specs = []
    datas = []
    for arr in arrays:
        a = np.ascontiguousarray(arr)
        if a.dtype == np.float64:
            a = a.astype("<f8", copy=False)
        elif a.dtype == np.float32:
            a = a.astype("<f4", copy=False)
        elif a.dtype == np.uint8:
            pass
        else:
            a = np.ascontiguousarray(a, dtype="<f8")
        specs.append([a.dtype.str, list(a.shape)])
        datas.append(a.tobytes())
    # NaN/inf are written as JSON extensions on purpose: the trusted reader
    # rejects them with a clear message instead of the child failing to send.
    header = json.dumps({"scene": scene, "members": members, "arrays": specs},
                        separators=(",", ":")).encode()
    return SNAPSHOT_HEAD.pack(SNAPSHOT_VERSION, len(header)) + header + b"".join(datas)
