"""Curated links from 3b1b/captions videos to the 3b1b/videos files that drew them.

Only folder and file *names* live here, never anything read from inside those
repositories.  ``video_id`` is the captions folder (``YEAR/slug``, or
``YEAR/shorts/slug``); ``paths`` are files or folders relative to the videos
root (a folder stands for every ``.py`` file below it); ``confidence`` says how
sure we are that the narration was animated by exactly those files.  An entry
with no paths records that the video has no code in the repository (a talk, a
song, an announcement), so automatic name matching is not tried for it.

Entries are needed where plain name matching fails (``matrix-exponents`` is
``matrix_exp.py``), is too coarse (one folder holding scenes of several videos)
or would pick the wrong thing.  Videos whose names match exactly are left to the
automatic matcher.  Confidence guide: 0.85-0.95 a file or folder made for that
video alone; 0.6-0.8 the right files plus scenes of a sibling video; 0.3-0.5 a
short re-cut from an older video's code, or a shared grab-bag file.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CURATED", "CuratedEntry"]


@dataclass(frozen=True)
class CuratedEntry:
    video_id: str
    paths: tuple[str, ...]
    confidence: float
    note: str = ""


def _e(video_id: str, paths: str | tuple[str, ...], confidence: float, note: str = "",
       ) -> CuratedEntry:
    return CuratedEntry(video_id, (paths,) if isinstance(paths, str) else paths,
                        confidence, note)


def _none(video_id: str, note: str) -> CuratedEntry:
    return CuratedEntry(video_id, (), 0.0, note)


_OPTICS = "_2023/optics_puzzles/"
_LLM = "_2024/transformers/"
_EOLA = "_2016/eola/"
_EOC = "_2017/eoc/"
_DIFFYQ = "_2019/diffyq/"

CURATED: tuple[CuratedEntry, ...] = (
    # 2015
    _e("2015/binary-counting", "_2015/counting_in_binary.py", 0.7),
    _e("2015/inventing-math", ("_2015/inventing_math.py", "_2015/inventing_math_images.py"),
       0.85),
    _e("2015/moser", ("_2015/moser_main.py", "_2015/moser_intro.py"), 0.8),
    _e("2015/music-and-measure-theory", "_2015/music_and_measure.py", 0.85),
    _none("2015/eulers-formula-old", "no file of its own; names alone would pick "
          "eulers_characteristic_formula.py"),
    _none("2015/eulers-formula-poem", "tau_poem.py is a different poem"),
    # 2016: Essence of linear algebra is one chapterN.py per chapter
    _e("2016/eola-preview", _EOLA + "chapter0.py", 0.8),
    _e("2016/vectors", _EOLA + "chapter1.py", 0.8),
    _e("2016/span", _EOLA + "chapter2.py", 0.8),
    _e("2016/linear-transformations", _EOLA + "chapter3.py", 0.85),
    _e("2016/matrix-multiplication", _EOLA + "chapter4.py", 0.8),
    _e("2016/3d-transformations", _EOLA + "footnote.py", 0.65, "chapter 4 footnote"),
    _e("2016/determinant", _EOLA + "chapter5.py", 0.8),
    _e("2016/inverse-matrices", _EOLA + "chapter6.py", 0.85),
    _e("2016/nonsquare-matrices", _EOLA + "footnote2.py", 0.6, "chapter 7 footnote"),
    _e("2016/dot-products", _EOLA + "chapter7.py", 0.85),
    _e("2016/cross-products", _EOLA + "chapter8.py", 0.8),
    _e("2016/cross-products-extended", _EOLA + "chapter8p2.py", 0.8),
    _e("2016/change-of-basis", _EOLA + "chapter9.py", 0.85),
    _e("2016/eigenvalues", _EOLA + "chapter10.py", 0.85),
    _e("2016/abstract-vector-spaces", _EOLA + "chapter11.py", 0.85),
    _e("2016/brachistochrone",
       tuple(f"_2016/brachistochrone/{n}.py" for n in (
           "curves", "cycloid", "drawing_images", "misc", "multilayered", "wordplay")),
       0.7, "light.py belongs to snells-law; graveyard.py is unused scenes"),
    _e("2016/snells-law", "_2016/brachistochrone/light.py", 0.6),
    _e("2016/hanoi-and-sierpinski", "_2016/hanoi.py", 0.85),
    _e("2016/inscribed-rectangle-problem", "_2016/wcat.py", 0.8, "'who cares about topology'"),
    # 2017
    _e("2017/256-bit-security", "_2017/256.py", 0.85),
    _e("2017/bitcoin", "_2017/crypto.py", 0.85),
    _e("2017/eulers-formula-via-group-theory", "_2017/efvgt.py", 0.85),
    _e("2017/hardest-problem", "_2017/putnam.py", 0.85),
    _e("2017/higher-dimensions", "_2017/highD.py", 0.85),
    _e("2017/hilbert-curve", tuple(f"_2016/hilbert/section{i}.py" for i in (1, 2, 3)), 0.75,
       "published early 2017, code filed under 2016"),
    _e("2017/leibniz-formula", "_2017/leibniz.py", 0.85),
    _e("2017/light-quantum-mechanics", "_2017/waves.py", 0.8),
    _e("2017/pythagorean-triples", "_2017/triples.py", 0.85),
    _e("2017/tattoos-on-math", "_2017/tattoo.py", 0.8),
    _e("2017/three-utilities", "_2017/mug.py", 0.75),
    _e("2017/neural-networks", "_2017/nn/part1.py", 0.85),
    _e("2017/gradient-descent", "_2017/nn/part2.py", 0.85),
    _e("2017/backpropagation", "_2017/nn/part3.py", 0.8),
    _e("2017/backpropagation-calculus", "_2017/nn/part3.py", 0.45,
       "no part 4 file; part3 holds some of its scenes at best"),
    _e("2017/essence-of-calculus", _EOC + "chapter1.py", 0.8),
    _e("2017/derivatives", _EOC + "chapter2.py", 0.8),
    _e("2017/derivative-formulas-geometrically", _EOC + "chapter3.py", 0.8),
    _e("2017/chain-rule-and-product-rule", _EOC + "chapter4.py", 0.8),
    _e("2017/eulers-number", _EOC + "chapter5.py", 0.8),
    _e("2017/implicit-differentiation", _EOC + "chapter6.py", 0.8),
    _e("2017/limits", _EOC + "chapter7.py", 0.8),
    _e("2017/integration", _EOC + "chapter8.py", 0.8),
    _e("2017/area-and-slope", _EOC + "chapter9.py", 0.75),
    _e("2017/higher-order-derivatives", _EOC + "footnote.py", 0.75),
    _e("2017/taylor-series", _EOC + "chapter10.py", 0.8),
    # 2018
    _e("2018/basel-problem", "_2018/basel/basel2.py", 0.75),
    _e("2018/borsuk-ulam", "_2017/borsuk.py", 0.75, "code filed under 2017"),
    _e("2018/dandelin-spheres", "_2018/dandelin.py", 0.85),
    _e("2018/derivatives-and-transforms", "_2018/alt_calc.py", 0.75),
    _e("2018/divergence-and-curl", "_2018/div_curl.py", 0.85),
    _e("2018/feynmans-lost-lecture", "_2018/lost_lecture.py", 0.85),
    _e("2018/fourier-transforms", "_2018/fourier.py", 0.85),
    _e("2018/pi-was-628", "_2018/pi_day.py", 0.8),
    _e("2018/quaternions", "_2018/quaternions.py", 0.85),
    _e("2018/quaternions-and-3d-rotation", "_2018/quat3d.py", 0.8),
    _e("2018/uncertainty-principle", "_2018/uncertainty.py", 0.85),
    _e("2018/wallis-product", "_2018/wallis.py", 0.85),
    _e("2018/winding-numbers", ("_2018/WindingNumber_G.py", "_2018/WindingNumber.py"), 0.7),
    # 2019
    _e("2019/bayes-theorem", "_2019/bayes/part1.py", 0.85),
    _e("2019/bayes-theorem-quick", "_2019/bayes/footnote.py", 0.8),
    _e("2019/clacks", "_2019/clacks/question.py", 0.8),
    _e("2019/clacks-solution", "_2019/clacks/solution1.py", 0.8),
    _e("2019/clacks-via-light", "_2019/clacks/solution2", 0.75),
    _e("2019/cramers-rule", "_2018/cramer.py", 0.8, "code filed under 2018"),
    _e("2019/differential-equations", _DIFFYQ + "part1", 0.8),
    _e("2019/pdes", _DIFFYQ + "part2", 0.75),
    _e("2019/heat-equation", _DIFFYQ + "part3", 0.75),
    _e("2019/fourier-series", _DIFFYQ + "part4", 0.75),
    _e("2019/fourier-series-montage", _DIFFYQ + "fourier_montage_scenes.py", 0.5),
    _e("2019/eulers-formula-dynamically", _DIFFYQ + "part5", 0.6),
    _e("2019/prime-spirals", "_2019/spirals.py", 0.85),
    _e("2019/qa4", "_2019/QA_2to21.py", 0.7),
    _e("2019/windmills", "_2019/windmill.py", 0.85),
    # 2020
    _e("2020/better-bayes", "_2020/med_test.py", 0.85),
    _e("2020/binomial-distributions", "_2020/beta/beta1.py", 0.75),
    _e("2020/pdfs", "_2020/beta/beta2.py", 0.7),
    _e("2020/chessboard-puzzle", "_2020/chess.py", 0.85),
    _e("2020/dp3t", "_2020/ctracing.py", 0.6),
    _e("2020/epidemic-simulations", "_2020/sir.py", 0.85),
    _e("2020/exponential-and-epidemics", "_2020/covid.py", 0.8),
    _e("2020/groups-and-monsters", "_2020/monster.py", 0.85),
    _e("2020/hamming-codes", "_2020/hamming.py", 0.6, "one file for both parts"),
    _e("2020/hamming-codes-2", "_2020/hamming.py", 0.6, "one file for both parts"),
    *(_e(f"2020/ldm-{topic}", "_2020/ldm.py", 0.3,
         "one file of inserts shared by all lockdown lectures, which were mostly live")
      for topic in ("quadratic", "trigonometry", "complex-numbers", "eulers-formula",
                    "imaginary-interest", "logarithms", "natural-logs", "power-towers",
                    "i-to-i")),
    _none("2020/ldm-tips-to-problem-solving", "live lecture"),
    _none("2020/lockdown-math-announcement", "announcement"),
    # 2021
    _e("2021/matrix-exponents", "_2021/matrix_exp.py", 0.9),
    _e("2021/newtons-fractal", "_2021/newton_fractal.py", 0.9),
    _e("2021/some1-results", "_2021/some1_winners.py", 0.85),
    # 2022
    _e("2022/some2", "_2022/some2/announcement.py", 0.8),
    _e("2022/some2-results", "_2022/some2/winners.py", 0.85),
    _e("2022/subsets-puzzle", "_2022/puzzles/subsets.py", 0.9),
    _e("2022/visual-proofs", "_2022/visual_proofs/lies.py", 0.9),
    _e("2022/wordle", ("_2022/wordle/scenes.py", "_2022/wordle/simulations.py"), 0.85,
       "footnote.py is the follow-up video"),
    _e("2022/wordle-2", "_2022/wordle/footnote.py", 0.85, "the bug-fix follow-up"),
    # 2023
    _e("2023/barber-pole-1", (_OPTICS + "cylinder.py", _OPTICS + "annotations.py"), 0.6,
       "annotations.py serves both barber-pole videos"),
    _e("2023/barber-pole-2",
       (_OPTICS + "e_field.py", _OPTICS + "cylinder.py", _OPTICS + "annotations.py"), 0.6,
       "annotations.py serves both barber-pole videos"),
    _e("2023/prism",
       tuple(_OPTICS + n for n in (
           "slowing_waves.py", "adding_waves.py", "driven_harmonic_oscillator.py",
           "bending_waves.py", "wave_machine.py", "ior_annotations.py")),
       0.6, "ior_annotations.py also serves refractive-index-questions"),
    _e("2023/refractive-index-questions",
       (_OPTICS + "ior_annotations.py", _OPTICS + "bending_waves.py"), 0.5,
       "follow-up Q&A; shares files with prism"),
    _e("2023/convolutions2",
       tuple(f"_2023/convolutions2/{n}.py" for n in (
           "dice", "continuous", "diagonal_slices", "supplements")),
       0.75, "gauss_example_supplements.py is gaussian-convolution"),
    _e("2023/gaussian-convolution",
       ("_2023/convolutions2/gauss_example_supplements.py",
        "_2023/convolutions2/diagonal_slices.py"), 0.6,
       "diagonal_slices.py is shared with convolutions2"),
    _e("2023/gaussian-integral", "_2023/gauss_int", 0.85),
    _e("2023/some3", "_2023/SoME3", 0.8, "same video as some3-results"),
    _e("2023/some3-results", "_2023/SoME3", 0.8, "same video as some3"),
    _e("2023/shorts/newton-art-puzzle", "_2021/newton_fractal.py", 0.4,
       "short re-cut from the 2021 video"),
    _none("2023/ego-and-math", "commencement speech"),
    _none("2023/how-they-fool-ya", "song performance"),
    _none("2023/maths-pedagogical-curse", "lecture"),
    _none("2023/shorts/on-shorts", "talking head"),
    # 2024
    _e("2024/attention", _LLM + "attention.py", 0.85),
    _e("2024/gpt", tuple(_LLM + n for n in (
        "embedding.py", "generation.py", "ml_basics.py", "network_flow.py")), 0.6,
       "supplements.py mixes gpt, attention and mlp scenes and is left out"),
    _e("2024/mlp", _LLM + "mlp.py", 0.85),
    _e("2024/mini-llm", _LLM + "chm.py", 0.8, "made for the Computer History Museum"),
    _e("2024/one-more-dim",
       ("_2024/puzzles/added_dimension.py", "_2024/puzzles/supplements.py"), 0.85),
    _e("2024/shorts/max-rand", "_2024/puzzles/max_rand.py", 0.9),
    _e("2024/shorts/word-vectors-encode", _LLM + "embedding.py", 0.6,
       "short re-cut from the gpt chapter"),
    _e("2024/shorts/cube-shadow-puzzle", "_2021/shadows.py", 0.5,
       "short re-cut from the 2021 video"),
    _e("2024/shorts/newton-fractal", "_2021/newton_fractal.py", 0.5,
       "short re-cut from the 2021 video"),
    _e("2024/shorts/sphere-surface-area", "_2018/sphere_area.py", 0.4,
       "short re-cut from the 2018 video"),
    _e("2024/shorts/mandelbrot", "_2021/holomorphic_dynamics.py", 0.3,
       "the nearest older code; the short may have new animations"),
    _e("2024/shorts/subset-sum", "_2022/puzzles/subsets.py", 0.5,
       "short re-cut from the 2022 video"),
    _none("2024/harvey-mudd-speech", "commencement speech"),
)
