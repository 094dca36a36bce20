"""The stated layout facts as model inputs: family, places, relations."""

from __future__ import annotations

import numpy as np

from benchmark.core.tasks import RELATIONS, ObjectSpec, Reference, Relation, Task
from benchmark.suites.synthetic import FAMILIES as GENERATOR_FAMILIES
from benchmark.suites.synthetic import generate_tasks
from jepa_model.structure import (
    FAMILIES,
    N_RELATION_TYPES,
    PLACE_DIM,
    PLACE_KEYS,
    PLACE_WORDS,
    family_index,
    place_features,
    relation_matrix,
)


def _task(objects: list[ObjectSpec], relations: list[Relation], family: str = "flowchart"
          ) -> Task:
    return Task("t", "s", "test", family, "easy", "p", objects, relations, Reference([]))


def test_families_are_the_generators() -> None:
    assert tuple(GENERATOR_FAMILIES) == FAMILIES
    t = next(generate_tasks("train", 0, 1))
    assert family_index(t) == FAMILIES.index(t.family) + 1
    assert family_index(_task([ObjectSpec("a", "tex", "x")], [], family="3b1b/x")) == 0


def test_places_encode_keys_words_points_and_values() -> None:
    objs = [ObjectSpec("a", "text", "T", {"place": {"edge": "UP"}}),
            ObjectSpec("b", "tex", "x", {"place": {"at": [3.5555, -2.0]}}),
            ObjectSpec("c", "shape", "Dot", {"place": {"value": 2.5, "on": "b"}}),
            ObjectSpec("d", "tex", "y")]
    f = place_features(_task(objs, []))
    assert f.shape == (4, PLACE_DIM)
    w0, tail = len(PLACE_KEYS), len(PLACE_KEYS) + len(PLACE_WORDS)
    assert f[0, PLACE_KEYS.index("edge")] == 1 and f[0, w0 + PLACE_WORDS.index("UP")] == 1
    assert f[0].sum() == 2
    assert np.allclose(f[1, tail:tail + 3], [3.5555 / (8 * 16 / 9 / 2), -0.5, 1.0], atol=1e-4)
    assert np.allclose(f[2, tail + 3:tail + 5], [0.5, 1.0])
    assert not f[3].any()


def test_relations_and_place_references_have_directed_types() -> None:
    objs = [ObjectSpec("a", "tex", "x"), ObjectSpec("b", "tex", "y"),
            ObjectSpec("c", "tex", "z", {"place": {"rel": "below", "of": "a"}})]
    rel = relation_matrix(_task(objs, [Relation("a", "left_of", "b")]))
    half = (N_RELATION_TYPES - 1) // 2
    assert rel[0, 1] == 1 + RELATIONS.index("left_of")
    assert rel[1, 0] == 1 + half + RELATIONS.index("left_of")
    assert rel[2, 0] == 1 + len(RELATIONS)  # "of" is the first reference key
    assert rel[0, 2] == 1 + half + len(RELATIONS)
    assert rel[1, 2] == 0 and np.all(np.diag(rel) == 0)
    assert rel.max() < N_RELATION_TYPES
