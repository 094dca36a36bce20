"""3b1b matching: captioned videos pair with code by curated table, then exact, then fuzzy names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmark.suites.threeb1b.errors import PrepareError
from benchmark.suites.threeb1b.mapping import CURATED, CuratedEntry
from benchmark.suites.threeb1b.matching import (
    EXACT_CONFIDENCE,
    FUZZY_THRESHOLD,
    MatchReport,
    VideoMatch,
    match_videos,
    name_similarity,
    name_tokens,
)

CAPTIONS = Path(__file__).parents[1] / "fixtures" / "fake_3b1b" / "captions"


def code_tree(root: Path, *files: str) -> Path:
    """A fake 3b1b/videos checkout holding the given files (paths under the root)."""
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("from manim_imports_ext import *\n", encoding="utf-8")
    return root


def captions_copy(tmp_path: Path) -> Path:
    root = tmp_path / "captions"
    shutil.copytree(CAPTIONS, root)
    return root


def by_id(report: MatchReport) -> dict[str, VideoMatch]:
    return {m.video_id: m for m in report.matches}


# ---------------------------------------------------------------- names


def test_name_tokens_equate_dashes_underscores_plurals_and_trailing_numbers() -> None:
    assert name_tokens("newtons-fractal") == name_tokens("newton_fractal.py")
    assert name_tokens("convolutions2") == name_tokens("convolutions") == ("convolution",)
    assert name_tokens("barber-pole-1") == ("barber", "pole")
    assert name_tokens("music-and-measure-theory") == ("music", "measure", "theory")


def test_name_similarity_lets_a_word_meet_its_prefix() -> None:
    assert name_similarity(name_tokens("gaussian-integral"), name_tokens("gauss_int")) == 1.0
    assert name_similarity(name_tokens("some1-results"), name_tokens("some1_winners")) == 0.5
    assert name_similarity(("ab",), ("abc",)) == 0.0  # prefixes need three letters


# ---------------------------------------------------------------- matching


def test_exact_folder_name_matches_its_python_files(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo/scenes.py", "_2099/demo/helpers.py",
                       "_2099/demo/__init__.py", "_2099/demo/notes.txt")
    report = match_videos(videos, CAPTIONS, curated=())
    m = by_id(report)["2099/demo"]
    assert (m.year, m.slug, m.method, m.confidence) == (2099, "demo", "exact", EXACT_CONFIDENCE)
    assert m.code_files == ("_2099/demo/helpers.py", "_2099/demo/scenes.py")
    assert m.captions_dir == CAPTIONS / "2099" / "demo" / "english"


def test_caption_video_without_code_is_unmatched_with_a_reason(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo.py")
    report = match_videos(videos, CAPTIONS, curated=())
    assert [m.video_id for m in report.matches] == ["2099/demo"]
    assert report.matches[0].code_files == ("_2099/demo.py",)
    assert report.unmatched_captions == ["2099/extra", "2099/second"]
    assert report.reasons["2099/extra"] == "no code with a matching name"


def test_unused_code_is_listed(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo.py", "_2099/other/main.py",
                       "_2099/lonely.py")
    report = match_videos(videos, CAPTIONS, curated=())
    assert report.unmatched_code == ["_2099/lonely.py", "_2099/other"]


def test_fuzzy_match_above_threshold_has_lower_confidence(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo_scenes.py")
    m = by_id(match_videos(videos, CAPTIONS, curated=()))["2099/demo"]
    assert m.method == "fuzzy" and m.code_files == ("_2099/demo_scenes.py",)
    assert name_similarity(("demo",), ("demo", "scene")) >= FUZZY_THRESHOLD
    assert 0 < m.confidence < EXACT_CONFIDENCE


def test_fuzzy_match_below_threshold_is_refused(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo_of_many_other_scenes.py")
    assert name_similarity(("demo",), name_tokens("demo_of_many_other_scenes")) < \
        FUZZY_THRESHOLD
    report = match_videos(videos, CAPTIONS, curated=())
    assert report.matches == []
    assert report.unmatched_captions == ["2099/demo", "2099/extra", "2099/second"]


def test_file_inside_a_folder_matches_by_its_own_name(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/bundle/demo.py", "_2099/bundle/extra.py",
                       "_2099/bundle/shared.py")
    found = by_id(match_videos(videos, CAPTIONS, curated=()))
    assert found["2099/demo"].code_files == ("_2099/bundle/demo.py",)
    assert found["2099/extra"].code_files == ("_2099/bundle/extra.py",)


def test_curated_entry_wins_over_an_exact_name(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo/scenes.py", "_2099/elsewhere/a.py",
                       "_2099/elsewhere/b.py", "_2098/old.py")
    table = (CuratedEntry("2099/demo", ("_2099/elsewhere", "_2098/old.py"), 0.42, "test"),)
    m = by_id(match_videos(videos, CAPTIONS, curated=table))["2099/demo"]
    assert (m.method, m.confidence) == ("curated", 0.42)
    assert m.code_files == ("_2098/old.py", "_2099/elsewhere/a.py", "_2099/elsewhere/b.py")


def test_curated_entry_whose_paths_are_missing_falls_back_to_names(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo/scenes.py")
    table = (CuratedEntry("2099/demo", ("_2099/gone.py",), 0.8),)
    m = by_id(match_videos(videos, CAPTIONS, curated=table))["2099/demo"]
    assert (m.method, m.code_files) == ("exact", ("_2099/demo/scenes.py",))


def test_curated_entry_without_paths_marks_a_video_as_having_no_code(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo.py")
    table = (CuratedEntry("2099/demo", (), 0.0, "a talk"),)
    report = match_videos(videos, CAPTIONS, curated=table)
    assert "2099/demo" not in by_id(report)
    assert report.reasons["2099/demo"] == "curated: no code (a talk)"


def test_default_table_is_used_when_none_is_given(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmark.suites.threeb1b import matching

    videos = code_tree(tmp_path / "videos", "_2099/demo.py", "_2099/special.py")
    monkeypatch.setattr(matching, "CURATED",
                        (CuratedEntry("2099/demo", ("_2099/special.py",), 0.7),))
    m = by_id(match_videos(videos, CAPTIONS))["2099/demo"]
    assert (m.method, m.code_files) == ("curated", ("_2099/special.py",))


def test_several_caption_videos_may_share_one_code_folder(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/shared/main.py")
    table = (CuratedEntry("2099/demo", ("_2099/shared",), 0.6),
             CuratedEntry("2099/extra", ("_2099/shared",), 0.5))
    found = by_id(match_videos(videos, CAPTIONS, curated=table))
    assert found["2099/demo"].code_files == found["2099/extra"].code_files == (
        "_2099/shared/main.py",)


def test_years_filter_is_inclusive_and_applies_to_captions_and_code(tmp_path: Path) -> None:
    captions = captions_copy(tmp_path)
    shutil.copytree(captions / "2099" / "demo", captions / "2098" / "demo")
    videos = code_tree(tmp_path / "videos", "_2098/demo.py", "_2099/demo.py",
                       "_2097/unused.py")
    assert [m.video_id for m in match_videos(videos, captions, (2098, 2098),
                                             curated=()).matches] == ["2098/demo"]
    both = match_videos(videos, captions, (2098, 2099), curated=())
    assert [m.video_id for m in both.matches] == ["2098/demo", "2099/demo"]
    assert both.unmatched_code == []
    assert match_videos(videos, captions, (2000, 2097), curated=()).unmatched_code == [
        "_2097/unused.py"]
    with pytest.raises(PrepareError, match="bad year range"):
        match_videos(videos, captions, (2099, 2098))


def test_shorts_one_level_deeper_are_found(tmp_path: Path) -> None:
    captions = captions_copy(tmp_path)
    shutil.copytree(captions / "2099" / "demo", captions / "2099" / "shorts" / "quick-demo")
    videos = code_tree(tmp_path / "videos", "_2099/quick_demo.py")
    m = by_id(match_videos(videos, captions, curated=()))["2099/shorts/quick-demo"]
    assert (m.slug, m.code_files) == ("shorts/quick-demo", ("_2099/quick_demo.py",))
    assert m.captions_dir == captions / "2099" / "shorts" / "quick-demo" / "english"


def test_video_without_sentence_timings_is_skipped_with_a_reason(tmp_path: Path) -> None:
    captions = captions_copy(tmp_path)
    (captions / "2099" / "demo" / "english" / "sentence_timings.json").unlink()
    videos = code_tree(tmp_path / "videos", "_2099/demo.py")
    report = match_videos(videos, captions, curated=())
    assert report.matches == []
    assert report.reasons["2099/demo"] == "no english/sentence_timings.json"
    relaxed = match_videos(videos, captions, curated=(), require_timings=False)
    assert [m.video_id for m in relaxed.matches] == ["2099/demo"]


def test_video_whose_timings_are_malformed_is_unmatched_naming_the_file(tmp_path: Path,
                                                                       ) -> None:
    captions = captions_copy(tmp_path)
    (captions / "2099" / "demo" / "english" / "sentence_timings.json").write_text("{")
    videos = code_tree(tmp_path / "videos", "_2099/demo.py")
    report = match_videos(videos, captions, curated=())
    assert "sentence_timings.json: malformed JSON" in report.reasons["2099/demo"]


# ---------------------------------------------------------------- bad roots


def test_missing_videos_root_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(PrepareError, match="videos checkout not found") as info:
        match_videos(tmp_path / "nope", CAPTIONS)
    assert "\n" not in str(info.value)


def test_missing_captions_root_is_a_one_line_error(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo.py")
    with pytest.raises(PrepareError, match="captions checkout not found"):
        match_videos(videos, tmp_path / "nope")


def test_swapped_roots_are_recognised(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo.py")
    with pytest.raises(PrepareError, match=r"3b1b/videos checkout \(no _20xx year folders\)"):
        match_videos(CAPTIONS, videos)


def test_captions_root_without_year_folders_is_refused(tmp_path: Path) -> None:
    videos = code_tree(tmp_path / "videos", "_2099/demo.py")
    (tmp_path / "empty" / "english").mkdir(parents=True)
    with pytest.raises(PrepareError, match=r"3b1b/captions checkout \(no YEAR/ folders\)"):
        match_videos(videos, tmp_path / "empty")


# ---------------------------------------------------------------- the curated table


def test_curated_table_is_well_formed() -> None:
    ids = [e.video_id for e in CURATED]
    assert len(ids) == len(set(ids)), "one entry per caption video"
    for e in CURATED:
        year, _, slug = e.video_id.partition("/")
        assert year.isdigit() and slug and not slug.endswith("/")
        assert 0.0 <= e.confidence <= 1.0
        assert all(p.startswith(f"_{p[1:5]}/") and p[1:5].isdigit() for p in e.paths)
        assert all(not p.endswith("/") and ".." not in p for p in e.paths)
        assert (e.confidence == 0.0) == (not e.paths)
