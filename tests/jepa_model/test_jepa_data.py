"""jepa_model text/features/data: embeddings and their cache, scene arrays, batches, the guard.

Most tests use a tiny randomly initialised BERT saved in a temporary folder;
one loads the packaged all-MiniLM-L6-v2 offline.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.core.frame import FRAME_HEIGHT, FRAME_WIDTH
from benchmark.core.tasks import KINDS, Task, dump_tasks
from benchmark.core.text import EmbeddingCache, EncoderNotFoundError, TextEncoder
from benchmark.suites import load_suite
from benchmark.suites.heldout import LeakageError, check_no_leak
from benchmark.suites.synthetic import generate_tasks
from benchmark.suites.synthetic.sizes import default_sizes, size_key
from jepa_model.data import (
    BATCH_KEYS,
    AugmentConfig,
    DataConfig,
    TrainingData,
    collate,
)
from jepa_model.features import (
    Featurizer,
    SceneArrays,
    denormalize_box,
)

torch.set_num_threads(1)

_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
          *"abcdefghijklmnopqrstuvwxyz0123456789", *"^_{}()[]\\+-*/=.,:;'\"!?<>|&%$#@~`",
          "the", "a", "of", "to", "and", "is", "in", "on", "left", "right", "above", "below",
          "circle", "square", "triangle", "arrow", "axes", "graph"]


def _tiny_encoder_dir(root: Path, seed: int, hidden: int = 32) -> Path:
    from benchmark.core.compat import ensure_torchvision

    ensure_torchvision()  # before transformers' model modules (see benchmark.core.compat)
    from transformers import BertConfig, BertModel, BertTokenizerFast
    root.mkdir(parents=True, exist_ok=True)
    vocab = root / "vocab.txt"
    vocab.write_text("\n".join(_VOCAB) + "\n")
    BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True).save_pretrained(str(root))
    torch.manual_seed(seed)
    config = BertConfig(hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, vocab_size=len(_VOCAB),
                        max_position_embeddings=128)
    BertModel(config).save_pretrained(str(root))
    return root


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> TextEncoder:
    return TextEncoder.load(_tiny_encoder_dir(tmp_path_factory.mktemp("tiny-a"), seed=0))


@pytest.fixture(autouse=True)
def no_3b1b(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No prepared 3b1b suite unless a test writes one here."""
    d = tmp_path / "3b1b"
    d.mkdir()
    monkeypatch.setenv("JEPA_MANIM_3B1B", str(d))
    return d


@cache
def _test_tasks() -> tuple[Task, ...]:
    return tuple(load_suite("synthetic", "test").tasks)


def _train(start: int, n: int) -> list[Task]:
    return list(generate_tasks("train", start, n))


# --- text ---------------------------------------------------------------------------------

def test_encode_returns_unit_vectors_in_input_order(encoder: TextEncoder) -> None:
    texts = ["x^2 + 1", "a circle left of the square", "", "x^2 + 1"]
    v = encoder.encode(texts)
    assert v.shape == (4, encoder.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(v[0], v[3], atol=1e-6)
    np.testing.assert_allclose(encoder.encode(texts[1:2])[0], v[1], atol=1e-5)
    np.testing.assert_array_equal(encoder.encode(texts), v)  # deterministic


def test_cache_embeds_each_string_once_and_persists(encoder: TextEncoder,
                                                    tmp_path: Path) -> None:
    cache = EmbeddingCache(encoder, tmp_path)
    first = cache.encode_cached(["a", "b", "a"])
    assert (cache.misses, cache.hits) == (2, 0)
    np.testing.assert_array_equal(first[0], first[2])
    again = cache.encode_cached(["b", "c"])
    assert (cache.misses, cache.hits) == (3, 1)
    cache.close()
    reopened = EmbeddingCache(encoder, tmp_path)
    assert len(reopened) == 3
    got = reopened.encode_cached(["a", "b", "c"])
    assert (reopened.misses, reopened.hits) == (0, 3)
    np.testing.assert_array_equal(got[:2], first[:2])
    np.testing.assert_array_equal(got[2], again[1])


def test_encoder_id_separates_cache_entries(encoder: TextEncoder, tmp_path: Path) -> None:
    other = TextEncoder.load(_tiny_encoder_dir(tmp_path / "tiny-b", seed=1))
    assert other.id != encoder.id
    a, b = EmbeddingCache(encoder, tmp_path / "c"), EmbeddingCache(other, tmp_path / "c")
    assert a.path != b.path
    a.encode_cached(["shared string"])
    b.encode_cached(["shared string"])
    assert (b.hits, b.misses) == (0, 1)


def test_missing_encoder_path_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    for path in (tmp_path / "nowhere", _no_weights(tmp_path / "no-weights")):
        with pytest.raises(EncoderNotFoundError) as exc:
            TextEncoder.load(path)
        assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def _no_weights(d: Path) -> Path:
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"model_type": "bert"}))
    return d


def test_packaged_minilm_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    enc = TextEncoder.load()
    assert enc.dim == 384 and enc.id.startswith("all-MiniLM-L6-v2-")
    v = enc.encode(["x^2", "x^{2}", "Hello world"])
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


# --- features -----------------------------------------------------------------------------

def test_boxes_round_trip_to_the_reference_layout(encoder: TextEncoder) -> None:
    tasks = list(_test_tasks()[:60])
    for t, s in zip(tasks, Featurizer(encoder).scenes(tasks), strict=True):
        ref = {p.id: p.box for p in t.reference.layout}
        assert s.object_ids == [o.id for o in t.objects] and s.box_known.all()
        for oid, row in zip(s.object_ids, s.box, strict=True):
            spec = t.object(oid)
            want = spec.given if spec.given is not None else ref[oid]
            np.testing.assert_allclose(denormalize_box(row).as_list(), want.as_list(),
                                       atol=1e-6)


def test_sizes_are_the_size_tables_and_arrows_have_none(encoder: TextEncoder) -> None:
    tasks = list(_test_tasks()[:60])
    table = default_sizes()
    kinds_known = set()
    for t, s in zip(tasks, Featurizer(encoder).scenes(tasks), strict=True):
        for o, (w, h), known in zip(t.objects, s.size, s.size_known, strict=True):
            if o.kind == "arrow":
                assert not known and (w, h) == (0.0, 0.0)
                continue
            assert known, (t.id, o.id)
            kinds_known.add(o.kind)
            _, p = table.geometry(size_key(o, t))  # type: ignore[arg-type]
            assert abs(w * FRAME_WIDTH - p.width) < 1e-6
            assert abs(h * FRAME_HEIGHT - p.height) < 1e-6
    assert {"graph", "brace", "tex", "shape"} <= kinds_known


def test_given_flags_and_kinds_follow_the_task(encoder: TextEncoder) -> None:
    tasks = [t for t in _test_tasks() if t.given_ids][:10]
    assert tasks
    for t, s in zip(tasks, Featurizer(encoder).scenes(tasks), strict=True):
        assert [KINDS[k] for k in s.kind] == [o.kind for o in t.objects]
        assert {i for i, g in zip(s.object_ids, s.given, strict=True) if g} == t.given_ids


def test_scenes_embed_distinct_strings_in_one_call(encoder: TextEncoder) -> None:
    calls: list[int] = []

    class Counting(TextEncoder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            calls.append(len(texts))
            return super().encode(texts)

    counting = Counting(encoder.model, encoder.tokenizer, encoder.id, encoder.path,
                        encoder.max_length)
    tasks = _train(0, 12)
    scenes = Featurizer(counting).scenes(tasks)
    distinct = {t.prompt for t in tasks} | {o.content for t in tasks for o in t.objects}
    assert calls == [len(distinct)]
    single = Featurizer(encoder).scene(tasks[3])
    np.testing.assert_allclose(single.content, scenes[3].content, atol=1e-5)


# --- collate ------------------------------------------------------------------------------

def _toy(n: int, given: list[int], dim: int = 8, tid: str = "t") -> SceneArrays:
    g = np.zeros(n, bool)
    g[given] = True
    rng = np.random.default_rng(n)
    return SceneArrays(kind=np.zeros(n, np.int64), content=np.ones((n, dim), np.float32),
                       size=np.full((n, 2), 0.1, np.float32), size_known=np.ones(n, bool),
                       box=rng.uniform(-0.5, 0.5, (n, 4)).astype(np.float32),
                       box_known=np.ones(n, bool), given=g, prompt=np.ones(dim, np.float32),
                       task_id=tid, object_ids=[f"o{i}" for i in range(n)])


def test_collate_masks_between_one_and_all_free_objects() -> None:
    scenes = [_toy(5, [0]), _toy(2, []), _toy(3, [0, 1, 2]), _toy(1, [])]
    counts: list[set[int]] = [set() for _ in scenes]
    ever = np.zeros((4, 5), bool)
    for seed in range(300):
        b = collate(scenes, np.random.default_rng(seed))
        assert set(b) == set(BATCH_KEYS)
        valid, given, mask = b["valid"].numpy(), b["given"].numpy(), b["mask"].numpy()
        assert not (mask & ~(valid & ~given)).any()  # never given or padding
        for i in range(4):
            counts[i].add(int(mask[i].sum()))
        ever |= mask
    assert counts == [{1, 2, 3, 4}, {1, 2}, {0}, {1}]
    np.testing.assert_array_equal(ever, b["valid"].numpy() & ~b["given"].numpy())


def test_collate_respects_mask_bounds_and_pads() -> None:
    scenes = [_toy(6, []), _toy(2, [1])]
    for seed in range(50):
        b = collate(scenes, np.random.default_rng(seed), mask_min=2, mask_max=3)
        assert 2 <= int(b["mask"][0].sum()) <= 3 and int(b["mask"][1].sum()) == 1
    assert b["content"].shape == (2, 6, 8) and b["prompt"].shape == (2, 8)
    assert b["kind"].dtype == torch.int64 and b["mask"].dtype == torch.bool
    assert not b["valid"][1, 2:].any() and float(b["box"][1, 2:].abs().sum()) == 0.0


def test_inference_masks_exactly_the_free_objects() -> None:
    scenes = [_toy(5, [0, 3]), _toy(2, [])]
    b = collate(scenes, np.random.default_rng(0), train=False,
                augment=AugmentConfig(jitter=0.5, scale=0.5))
    np.testing.assert_array_equal(b["mask"].numpy(), b["valid"].numpy() & ~b["given"].numpy())
    np.testing.assert_array_equal(b["box"][0, [0, 3]].numpy(), scenes[0].box[[0, 3]])
    assert float(b["box"][b["mask"]].abs().sum()) == 0.0  # reference boxes withheld


def test_augmentation_scales_consistently_and_jitters_only_context() -> None:
    s = _toy(4, [0])
    plain = collate([s], np.random.default_rng(7))
    scaled = collate([s], np.random.default_rng(7), augment=AugmentConfig(jitter=0, scale=0.3))
    np.testing.assert_array_equal(plain["mask"], scaled["mask"])
    factor = scaled["size"][0, 0, 0] / plain["size"][0, 0, 0]
    assert 0.7 <= float(factor) <= 1.3
    torch.testing.assert_close(scaled["box"], plain["box"] * factor)
    jit = collate([s], np.random.default_rng(7), augment=AugmentConfig(jitter=0.05))
    m = plain["mask"][0]
    torch.testing.assert_close(jit["box"][0, m], plain["box"][0, m])
    assert not torch.equal(jit["box"][0, ~m, :2], plain["box"][0, ~m, :2])
    torch.testing.assert_close(jit["box"][0, :, 2:], plain["box"][0, :, 2:])


# --- the guard and the training set -------------------------------------------------------

def test_a_test_task_in_training_data_is_refused(encoder: TextEncoder) -> None:
    test_task = _test_tasks()[0]
    with pytest.raises(LeakageError, match="held-out"):
        TrainingData.from_tasks([*_train(0, 3), test_task], Featurizer(encoder))
    disguised = replace(test_task, id="synthetic/x/99999", split="train")
    with pytest.raises(LeakageError, match=test_task.id):
        check_no_leak([disguised])
    check_no_leak(_train(0, 3))


def test_scene_cache_returns_identical_arrays(encoder: TextEncoder, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    config = DataConfig(synthetic_start=4, synthetic_n=10, block=8, cache_dir=str(tmp_path))
    cold = TrainingData.build(Featurizer(encoder), config)
    assert len(cold) == 10 and cold.counts["synthetic"] == 10
    assert [s.task_id for s in cold.scenes] == [t.id for t in _train(4, 10)]
    assert len(list((tmp_path / encoder.id).glob("*.npz"))) == 2

    def refuse(self: Featurizer, tasks: object) -> None:
        raise AssertionError("featurised again instead of loading the cache")

    monkeypatch.setattr(Featurizer, "scenes", refuse)
    warm = TrainingData.build(Featurizer(encoder), config)
    for a, b in zip(cold.scenes, warm.scenes, strict=True):
        assert (a.task_id, a.object_ids) == (b.task_id, b.object_ids)
        for f in ("kind", "content", "size", "size_known", "box", "box_known", "given",
                  "prompt"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_3b1b_dev_trains_and_a_3b1b_test_twin_is_refused(encoder: TextEncoder, tmp_path: Path,
                                                         no_3b1b: Path) -> None:
    dev = [replace(t, id=f"3b1b/v/{i}", suite="3b1b", split="dev", family="v")
           for i, t in enumerate(_train(100, 3))]
    dump_tasks(dev, no_3b1b / "dev.jsonl")
    dump_tasks([replace(dev[1], id="3b1b/w/0", split="test")], no_3b1b / "test.jsonl")
    config = DataConfig(synthetic_n=0, cache_dir=str(tmp_path / "f"))
    with pytest.raises(LeakageError, match="3b1b test task 3b1b/w/0"):
        TrainingData.build(Featurizer(encoder), config)
    dump_tasks([dev[0], dev[2]], no_3b1b / "dev.jsonl")
    data = TrainingData.build(Featurizer(encoder), config)
    assert data.counts["3b1b"] == 2 and [s.task_id for s in data] == ["3b1b/v/0", "3b1b/v/2"]
    batch = next(data.batches(2, np.random.default_rng(0)))
    assert batch["mask"].any(dim=1).all()


def test_both_3b1b_test_variants_are_held_out(encoder: TextEncoder, tmp_path: Path,
                                              no_3b1b: Path) -> None:
    """``test`` (with context) and ``test-scratch`` never train; the dev variants may."""
    dev = [replace(t, id=f"3b1b/v/{i}", suite="3b1b", split="dev", family="v")
           for i, t in enumerate(_train(200, 3))]
    dump_tasks(dev, no_3b1b / "dev.jsonl")
    dump_tasks([], no_3b1b / "test.jsonl")
    twin = replace(dev[2], id="3b1b/w/0-scratch", split="test-scratch")
    dump_tasks([twin], no_3b1b / "test-scratch.jsonl")
    config = DataConfig(synthetic_n=0, cache_dir=str(tmp_path / "f"))
    with pytest.raises(LeakageError, match="3b1b test-scratch task 3b1b/w/0-scratch"):
        TrainingData.build(Featurizer(encoder), config)
    for split in ("test", "test-scratch"):
        with pytest.raises(LeakageError, match=f"held-out 3b1b {split} split"):
            check_no_leak([replace(dev[0], split=split)], heldout={})
    check_no_leak([replace(dev[0], split="dev-scratch")], heldout={})
    dump_tasks(dev[:2], no_3b1b / "dev.jsonl")
    assert TrainingData.build(Featurizer(encoder), config).counts["3b1b"] == 2
