"""Statistics of ratings as pure functions, against published and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from human_eval.stats import (
    bootstrap_mean,
    check_passed,
    coincidences,
    histogram,
    item_means,
    krippendorff_alpha,
    rater_stats,
    submission_stats,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, values 1-5, missing data (None).  Published alphas:
# nominal .743, ordinal .815, interval .849, ratio .797.
_ = None
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]

# The reliability-data example of the Wikipedia article "Krippendorff's alpha"
# (3 coders, 15 units): nominal 0.691, interval 0.811.
WIKIPEDIA = [
    [_, _, _, _, _, 3, 4, 1, 2, 1, 1, 3, 3, _, 3],
    [1, _, 2, 1, 3, 3, 4, 3, _, _, _, _, _, _, _],
    [_, _, 2, 1, 3, 4, 4, _, 2, 1, 1, 3, 3, _, 4],
]


def units(matrix: list[list[int | None]]) -> list[list[int]]:
    """Observer-by-unit rows -> per-unit lists of the values given."""
    return [[v for v in column if v is not None] for column in zip(*matrix, strict=True)]


@pytest.mark.parametrize(("metric", "published"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_alpha_matches_krippendorffs_own_example(metric, published):
    assert krippendorff_alpha(units(KRIPPENDORFF_2011), metric) == pytest.approx(published,
                                                                                abs=5e-4)


def test_coincidence_matrix_of_krippendorffs_example_matches_the_paper():
    values, o = coincidences(units(KRIPPENDORFF_2011))
    assert values == [1, 2, 3, 4, 5]
    # The paper's coincidence table (times 3), marginals n_c = 9, 13, 10, 5, 3 and n = 40.
    np.testing.assert_allclose(3 * o, [[21, 4, 1, 1, 0],
                                       [4, 30, 4, 1, 0],
                                       [1, 4, 24, 1, 0],
                                       [1, 1, 1, 12, 0],
                                       [0, 0, 0, 0, 9]])
    np.testing.assert_allclose(o.sum(axis=1), [9, 13, 10, 5, 3])


@pytest.mark.parametrize(("metric", "published"), [("nominal", 0.691), ("interval", 0.811)])
def test_alpha_matches_the_wikipedia_example(metric, published):
    assert krippendorff_alpha(units(WIKIPEDIA), metric) == pytest.approx(published, abs=5e-4)


def test_alpha_by_hand_on_three_units():
    # Units (1,1), (1,2), (3,3), two raters each.  Coincidences over values 1, 2, 3:
    #   o = [[2, 1, 0], [1, 0, 0], [0, 0, 2]], n_1 = 3, n_2 = 1, n_3 = 2, n = 6.
    # nominal:  D_o = o_12 + o_21 = 2; D_e = sum_{c != k} n_c n_k = 2 (3 + 6 + 2) = 22
    #           alpha = 1 - (n - 1) 2 / 22 = 12/22
    # interval: D_o = 2 * 1; D_e = 2 (3*1*1 + 3*2*4 + 1*2*1) = 58; alpha = 1 - 5*2/58 = 48/58
    # ordinal:  d(1,2) = (3 + 1 - (3 + 1)/2)^2 = 4, d(1,3) = (6 - 5/2)^2 = 12.25,
    #           d(2,3) = (3 - 3/2)^2 = 2.25; D_o = 2 * 4 = 8;
    #           D_e = 2 (3*1*4 + 3*2*12.25 + 1*2*2.25) = 180; alpha = 1 - 5*8/180 = 140/180
    data = [[1, 1], [1, 2], [3, 3]]
    _, o = coincidences(data)
    np.testing.assert_allclose(o, [[2, 1, 0], [1, 0, 0], [0, 0, 2]])
    assert krippendorff_alpha(data, "nominal") == pytest.approx(12 / 22)
    assert krippendorff_alpha(data, "interval") == pytest.approx(48 / 58)
    assert krippendorff_alpha(data, "ordinal") == pytest.approx(140 / 180)


def test_alpha_is_one_for_perfect_agreement_and_undefined_without_variation():
    assert krippendorff_alpha([[1, 1, 1], [4, 4], [5, 5, 5]]) == pytest.approx(1.0)
    assert krippendorff_alpha([[3, 3], [3, 3, 3]]) is None  # no expected disagreement
    assert krippendorff_alpha([[1], [5], [3]]) is None  # no unit has two ratings
    assert krippendorff_alpha([]) is None


def test_alpha_ignores_units_with_a_single_rating():
    data = [[1, 1], [1, 2], [3, 3]]
    assert krippendorff_alpha([*data, [5], [2]]) == krippendorff_alpha(data)


def test_systematic_disagreement_gives_negative_alpha():
    assert krippendorff_alpha([[1, 5], [5, 1], [1, 5], [5, 1]]) < 0


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="unknown metric"):
        krippendorff_alpha([[1, 2], [2, 3]], "cosine")


def test_bootstrap_interval_brackets_the_mean_and_repeats_with_the_seed():
    values = [1, 2, 2, 3, 4, 4, 4, 5, 5, 5]
    a = bootstrap_mean(values, n_boot=2000, seed=3, group="g")
    assert a.mean == pytest.approx(3.5) and a.lo < a.mean < a.hi and a.n == 10
    assert bootstrap_mean(values, n_boot=2000, seed=3, group="g") == a
    one = bootstrap_mean([4.0], n_boot=100)
    assert (one.mean, one.lo, one.hi, one.n) == (4.0, 4.0, 4.0, 1)
    assert bootstrap_mean([]).mean is None


def test_histogram_counts_each_rating_value():
    assert histogram([1, 5, 5, 3, 3, 3]) == [1, 0, 3, 0, 2]


def test_item_means_average_each_items_ratings():
    assert item_means([("a", 4), ("b", 2), ("a", 5)]) == {"a": 4.5, "b": 2.0}


def test_good_rate_is_share_of_items_with_mean_at_least_four():
    ratings = [("r1", "a", 4), ("r2", "a", 4), ("r1", "b", 5), ("r2", "b", 2),  # a 4.0, b 3.5
               ("r1", "c", 5), ("r1", "d", 1)]  # c 5.0, d 1.0
    s = submission_stats(ratings, n_boot=500)
    assert s.n_items == 4 and s.n_ratings == 6 and s.n_raters == 2
    assert s.good.mean == pytest.approx(0.5)  # a and c
    assert s.mean.mean == pytest.approx((4.0 + 3.5 + 5.0 + 1.0) / 4)
    assert s.histogram == [1, 1, 0, 2, 2]
    assert s.good.lo <= s.good.mean <= s.good.hi


def test_scenes_that_did_not_render_count_as_not_good():
    ratings = [("r1", "a", 5), ("r1", "b", 5), ("r1", "c", 2)]  # 2 of 3 rated items good
    s = submission_stats(ratings, n_tasks=4, n_unrendered=1, n_boot=500)
    assert s.good.mean == pytest.approx(2 / 3 * 3 / 4)  # = 2 good of 4 scenes
    assert s.mean.mean == pytest.approx(4.0)  # the mean rating is over rated items only
    nothing = submission_stats([], n_tasks=4, n_unrendered=4)
    assert nothing.good.mean == 0.0 and nothing.mean.mean is None


def test_attention_check_rule():
    assert check_passed("good", 4) and check_passed("good", 5) and not check_passed("good", 3)
    assert check_passed("bad", 1) and check_passed("bad", 2) and not check_passed("bad", 3)


def test_rater_stats_flag_raters_who_fail_checks():
    checks = {"g1": "good", "g2": "good", "b1": "bad", "b2": "bad"}
    ratings = [("careful", "g1", 5), ("careful", "g2", 4), ("careful", "b1", 1),
               ("careful", "b2", 2), ("careful", "x", 3),
               ("sloppy", "g1", 5), ("sloppy", "b1", 5), ("sloppy", "b2", 4),
               ("sloppy", "x", 5), ("sloppy", "y", 5),
               ("nochecks", "x", 2)]
    by = {r.rater: r for r in rater_stats(ratings, checks)}
    assert by["careful"].pass_rate == 1.0 and not by["careful"].flagged
    assert by["careful"].n == 1 and by["careful"].mean == 3.0
    assert by["sloppy"].checks_passed == 1 and by["sloppy"].n_checks == 3
    assert by["sloppy"].flagged and by["sloppy"].mean == 5.0
    assert by["nochecks"].pass_rate is None and not by["nochecks"].flagged
