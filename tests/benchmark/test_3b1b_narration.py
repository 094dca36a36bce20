"""3b1b narration: sentences load from a captions checkout, Tex becomes words, scenes align."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmark.suites.threeb1b.errors import PrepareError
from benchmark.suites.threeb1b.narration import (
    Alignment,
    SceneText,
    Sentence,
    align_scenes,
    load_sentences,
    text_tokens,
)

DEMO = (Path(__file__).parents[1] / "fixtures" / "fake_3b1b" / "captions" / "2099" / "demo"
        / "english")


def sentences(*texts: str) -> list[Sentence]:
    return [Sentence(t, float(i), float(i) + 0.9) for i, t in enumerate(texts)]


def scene(key: str, *strings: str) -> SceneText:
    return SceneText(key, strings)


# ---------------------------------------------------------------- loading


def test_load_sentences_reads_text_and_timings_from_sentence_timings() -> None:
    got = load_sentences(DEMO)
    assert len(got) == 12
    assert got[1].text.startswith("First a title fades in")
    assert got[0].start == 0.0 and got[1].start > got[0].end
    assert all(s.end > s.start for s in got)


def test_load_sentences_falls_back_to_transcript_with_index_timings(tmp_path: Path) -> None:
    (tmp_path / "transcript.txt").write_text(
        "One line here. And a second sentence on it!\n\nA third line?\n", encoding="utf-8")
    got = load_sentences(tmp_path)
    assert [s.text for s in got] == ["One line here.", "And a second sentence on it!",
                                     "A third line?"]
    assert [(s.start, s.end) for s in got] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]


def test_empty_sentence_timings_falls_back_to_transcript(tmp_path: Path) -> None:
    (tmp_path / "sentence_timings.json").write_text("[]", encoding="utf-8")
    (tmp_path / "transcript.txt").write_text("Only this.\n", encoding="utf-8")
    assert [s.text for s in load_sentences(tmp_path)] == ["Only this."]


def test_malformed_sentence_timings_names_the_file(tmp_path: Path) -> None:
    english = tmp_path / "english"
    shutil.copytree(DEMO, english)
    (english / "sentence_timings.json").write_text('[["cut off", 0.0,', encoding="utf-8")
    with pytest.raises(PrepareError, match=r"sentence_timings\.json: malformed JSON"):
        load_sentences(english)


def test_sentence_timings_entry_of_wrong_shape_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sentence_timings.json").write_text(
        json.dumps([["fine", 0.0, 1.0], ["no end", 1.0]]), encoding="utf-8")
    with pytest.raises(PrepareError, match="entry 1 is not"):
        load_sentences(tmp_path)


def test_folder_without_captions_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrepareError, match=r"no sentence_timings\.json or transcript\.txt"):
        load_sentences(tmp_path)


# ---------------------------------------------------------------- tokens


def test_tex_commands_become_words_or_vanish() -> None:
    assert text_tokens(r"\frac{\pi}{2} + \sum_{n=1}^{\infty} \text{area of } x^2") == [
        "pi", "2", "sum", "n", "1", "infinity", "area", "of", "x", "squared"]


def test_euler_identity_tokens() -> None:
    assert text_tokens(r"e^{i\pi} + 1 = 0") == ["e", "i", "pi", "1", "0"]


def test_environments_colours_and_accents_leave_no_command_names() -> None:
    tokens = text_tokens(r"\begin{pmatrix} \textcolor{red}{\vec{v}} \\ \hat{w} \end{pmatrix}")
    assert tokens == ["v", "w"]


def test_plain_text_is_lowercased_without_punctuation_and_keeps_numbers() -> None:
    assert text_tokens("Euler's Formula: 3.14, then 1,000!") == [
        "euler", "formula", "3.14", "then", "1000"]


# ---------------------------------------------------------------- alignment


def test_each_scene_lands_on_the_sentence_naming_its_words() -> None:
    talk = sentences("Hello there.", "Here is a parabola.", "Now a circle appears.",
                     "Finally a hexagon.")
    got = align_scenes(talk, [scene("a", "Parabola"), scene("b", "Circle"),
                              scene("c", "Hexagon")])
    assert [(a.key, a.first, a.last) for a in got] == [("a", 1, 1), ("b", 2, 2), ("c", 3, 3)]
    assert got[1].matched_tokens == ("circle",)


def test_order_decides_between_equal_matches() -> None:
    talk = sentences("A circle first.", "Then filler words.", "Now a square.",
                     "More filler here.", "Another circle later.")
    got = align_scenes(talk, [scene("sq", "square"), scene("ci", "circle")])
    assert got[0].first == 2
    assert got[1].first == 4  # the circle after the square, not the one before it


def test_one_common_word_does_not_pull_a_scene_far_backwards() -> None:
    talk = sentences("A circle to start.", "The circle again.", "Filler one.", "Filler two.",
                     "Then a parabola.", "Here comes the triangle.", "Filler three.", "The end.")
    got = align_scenes(talk, [scene("p", "parabola"), scene("t", "triangle"),
                              scene("c", "circle")])
    assert [got[0].first, got[1].first] == [4, 5]
    assert got[2].first >= 5 and got[2].matched_tokens == () and got[2].confidence <= 0.05


def test_strong_evidence_may_step_back_out_of_order() -> None:
    talk = sentences("Intro with eigenvalue and determinant and trace.", "Filler one.",
                     "Filler two.", "Filler three.", "Then the hexagon.", "Closing words.")
    got = align_scenes(talk, [scene("h", "hexagon"),
                              scene("m", "eigenvalue", "determinant", "trace")])
    assert got[0].first == 4
    assert got[1].first == 0 and got[1].confidence > 0.9


def test_scene_without_overlap_sits_between_its_neighbours_with_low_confidence() -> None:
    talk = sentences("We start with a parabola.", "Some words.", "More words.",
                     "Then a hexagon.")
    got = align_scenes(talk, [scene("a", "parabola"), scene("x", "zzz", "Q"),
                              scene("b", "hexagon")])
    assert got[1].matched_tokens == ()
    assert 1 <= got[1].first <= got[1].last <= 2
    assert got[1].confidence <= 0.05
    assert got[0].confidence > 0.3 and got[2].confidence > 0.3


def test_nothing_matching_anywhere_gives_zero_confidence_in_order() -> None:
    talk = sentences(*(f"Sentence number {i}." for i in range(9)))
    got = align_scenes(talk, [scene(k, "zzz") for k in "abc"])
    assert all(a.confidence == 0.0 and a.matched_tokens == () for a in got)
    assert [a.first for a in got] == sorted(a.first for a in got)
    assert got[0].first < got[2].first


def test_confidence_grows_with_distinctive_words_and_ignores_stop_words() -> None:
    talk = sentences("The vector is here.", "The vector moves.", "The vector spins.",
                     "The vector grows with eigenvalue and determinant.", "The end.")
    common = align_scenes(talk, [scene("c", "vector")])[0]
    rare = align_scenes(talk, [scene("r", "eigenvalue")])[0]
    many = align_scenes(talk, [scene("m", "eigenvalue", "determinant")])[0]
    stop = align_scenes(talk, [scene("s", "the is with")])[0]
    assert stop.confidence <= 0.05 and stop.matched_tokens == ()
    assert common.confidence < rare.confidence < many.confidence
    assert many.confidence > 0.8


def test_window_grows_only_for_extra_words_and_stays_short() -> None:
    long = "x " * 150
    talk = sentences("A parabola.", "A hexagon.", "A rhombus.", "A trapezoid.", long + "end.")
    got = align_scenes(talk, [scene("a", "parabola", "hexagon", "rhombus", "trapezoid")])[0]
    assert (got.first, got.last) == (0, 2)  # at most three sentences
    solo = align_scenes(talk, [scene("b", "hexagon")])[0]
    assert (solo.first, solo.last) == (1, 1)
    tail = align_scenes(talk, [scene("c", "trapezoid", "end")],
                        max_chars=100)[0]
    assert tail.last - tail.first <= 1 and len(tail.text) <= 101


def test_alignment_is_deterministic_and_keeps_scene_keys_in_order() -> None:
    talk = load_sentences(DEMO)
    scenes = [scene(f"s{i}", *words) for i, words in
              enumerate([("Demo",), ("circle",), ("zzz",), ("pi",)])]
    first = align_scenes(talk, scenes)
    assert first == align_scenes(talk, scenes)
    assert [a.key for a in first] == ["s0", "s1", "s2", "s3"]
    assert all(isinstance(a, Alignment) and 0.0 <= a.confidence <= 1.0 for a in first)


def test_demo_video_scenes_align_to_their_narration() -> None:
    talk = load_sentences(DEMO)
    scenes = [
        scene("Title/0", "Demo"),
        scene("Graph/0", r"y = x^2", r"\text{parabola}"),
        scene("Graph/1", r"y = x^2", "label"),
        scene("Euler/0", r"e^{i\pi} + 1 = 0"),
        scene("Shapes/0", "Circle", "Square"),
        scene("Question/0", "?", r"\text{A question}"),
    ]
    got = {a.key: a for a in align_scenes(talk, scenes)}
    assert got["Title/0"].first == 1
    assert got["Graph/0"].first == 2 and "squared" in got["Graph/0"].matched_tokens
    assert got["Graph/1"].first <= 3 <= got["Graph/1"].last
    assert got["Euler/0"].first == 6 and got["Euler/0"].matched_tokens == ("pi",)
    assert got["Shapes/0"].first == 8 and got["Shapes/0"].confidence > 0.6
    assert got["Question/0"].first == 9


def test_no_scenes_gives_nothing_and_no_sentences_is_an_error() -> None:
    assert align_scenes(sentences("Hi."), []) == []
    with pytest.raises(ValueError, match="at least one sentence"):
        align_scenes([], [scene("a", "x")])
