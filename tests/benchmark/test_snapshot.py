"""Snapshot validation: malformed or oversized input is rejected with a clear reason."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.measure import semantic_objects
from benchmark.sandbox.runtime import wire
from benchmark.snapshot import SnapshotError, SnapshotLimits, decode_snapshot


def member(parent: int = -1, points: int = 0, **extra) -> dict:
    rec = {"parent": parent, "cls": "Circle", "mro": ["Circle", "Arc", "VMobject", "Mobject"],
           "draw": "V", "z": 0.0, "points": points, "fill": 1, "stroke": 2, "bg_stroke": 2,
           "stroke_width": 4.0, "bg_stroke_width": 0.0, "joint": "AUTO", "cap": "BUTT"}
    rec.update(extra)
    return rec


def good_parts() -> tuple[dict, list[dict], list[np.ndarray]]:
    pts = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    arrays = [pts, np.array([[1, 0, 0, 0.5]]), np.array([[1, 1, 1, 1.0]])]
    return {"class": "S", "background": [0, 0, 0, 255]}, [member(points=0)], arrays


def encode(scene, members, arrays) -> bytes:
    return wire.encode_snapshot(scene, members, arrays)


def test_a_well_formed_snapshot_decodes_to_one_object():
    snap = decode_snapshot(encode(*good_parts()))
    objs = semantic_objects(snap)
    assert [(o.kind, o.box) for o in objs] == [("shape", (0.0, 0.0, 1.0, 1.0))]


def test_wrong_version_is_rejected():
    payload = bytearray(encode(*good_parts()))
    struct.pack_into("<H", payload, 0, 99)
    with pytest.raises(SnapshotError, match="version 99"):
        decode_snapshot(bytes(payload))


def test_non_finite_coordinates_are_rejected():
    scene, members, arrays = good_parts()
    arrays[0][1, 0] = np.nan
    with pytest.raises(SnapshotError, match="non-finite"):
        decode_snapshot(encode(scene, members, arrays))


def test_nan_in_the_header_is_rejected():
    scene, members, arrays = good_parts()
    members[0]["z"] = float("nan")
    with pytest.raises(SnapshotError, match="z="):
        decode_snapshot(encode(scene, members, arrays))


def test_parent_must_point_backwards():
    scene, members, arrays = good_parts()
    members[0]["parent"] = 0
    with pytest.raises(SnapshotError, match="parent"):
        decode_snapshot(encode(scene, members, arrays))


def test_truncated_data_is_rejected():
    payload = encode(*good_parts())
    with pytest.raises(SnapshotError, match="past the end"):
        decode_snapshot(payload[:-8])


def test_stray_bytes_are_rejected():
    with pytest.raises(SnapshotError, match="stray"):
        decode_snapshot(encode(*good_parts()) + b"\0" * 8)


def test_colours_outside_unit_range_are_rejected():
    scene, members, arrays = good_parts()
    arrays[1][0, 3] = 7.0
    with pytest.raises(SnapshotError, match="colour values"):
        decode_snapshot(encode(scene, members, arrays))


def test_unknown_draw_type_is_rejected():
    scene, members, arrays = good_parts()
    members[0]["draw"] = "X"
    with pytest.raises(SnapshotError, match="draw type"):
        decode_snapshot(encode(scene, members, arrays))


def test_too_many_members_are_rejected():
    scene, _, arrays = good_parts()
    members = [member(points=0)] * 11
    with pytest.raises(SnapshotError, match="at most 10"):
        decode_snapshot(encode(scene, members, arrays), SnapshotLimits(max_members=10))


def test_huge_coordinates_are_rejected():
    scene, members, arrays = good_parts()
    arrays[0][0, 0] = 1e9
    with pytest.raises(SnapshotError, match="coordinates"):
        decode_snapshot(encode(scene, members, arrays))


def test_array_reference_out_of_range_is_rejected():
    scene, members, arrays = good_parts()
    members[0]["fill"] = 17
    with pytest.raises(SnapshotError, match="missing array"):
        decode_snapshot(encode(scene, members, arrays))


def test_header_that_is_not_json_is_rejected():
    header = b"{not json"
    payload = wire.SNAPSHOT_HEAD.pack(wire.SNAPSHOT_VERSION, len(header)) + header
    with pytest.raises(SnapshotError, match="not JSON"):
        decode_snapshot(payload)


def test_groups_are_descended_and_atomic_kinds_are_not():
    pts = np.array([[0, 0, 0], [1, 1, 0]], dtype=float)
    empty = np.zeros((0, 3))
    arrays = [empty, pts, np.array([[1, 1, 1, 1.0]])]
    group = {"parent": -1, "cls": "VGroup", "mro": ["VGroup", "VMobject", "Mobject"],
             "draw": "V", "points": 0, "fill": 2, "stroke": 2}
    tex = {"parent": 0, "cls": "MathTex", "mro": ["MathTex", "SingleStringMathTex",
                                                  "SVGMobject", "VMobject", "Mobject"],
           "draw": "V", "points": 0, "tex_string": "x^2", "fill": 2, "stroke": 2}
    glyph = {"parent": 1, "cls": "VMobjectFromSVGPath", "mro": ["VMobjectFromSVGPath",
                                                                "VMobject", "Mobject"],
             "draw": "V", "points": 1, "fill": 2, "stroke": 2}
    snap = decode_snapshot(encode({"class": "S"}, [group, tex, glyph], arrays))
    objs = semantic_objects(snap)
    assert [(o.kind, o.content, o.box) for o in objs] == [("tex", "x^2", (0.0, 0.0, 1.0, 1.0))]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_corruption_raises_snapshot_error_or_decodes(data):
    payload = bytearray(encode(*good_parts()))
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(payload) - 1))
        payload[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(payload)))
    try:
        snap = decode_snapshot(bytes(payload[:cut]))
    except SnapshotError:
        return
    semantic_objects(snap)  # whatever decodes is safe to measure


def test_header_json_round_trip_is_compact():
    payload = encode(*good_parts())
    _, hlen = wire.SNAPSHOT_HEAD.unpack_from(payload)
    header = json.loads(payload[wire.SNAPSHOT_HEAD.size: wire.SNAPSHOT_HEAD.size + hlen])
    assert set(header) == {"scene", "members", "arrays"}
