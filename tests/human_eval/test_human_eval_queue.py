"""What a rater sees next: seeded per-rater orders and the serving rules, as pure functions."""

from __future__ import annotations

from itertools import pairwise

from human_eval.rater_queue import next_item, rater_order
from human_eval.storage import Item, RaterState


def items(n_tasks: int = 4, per_task: int = 3, checks: int = 0) -> list[Item]:
    out = [Item(f"i{t}{r}", "frame", f"task{t}", f"prompt {t}", f"f{t}{r}.png", run_id=f"run{r}")
           for t in range(n_tasks) for r in range(per_task)]
    out += [Item(f"c{c}", "check_good", f"task{c}", "p", "ref.png") for c in range(checks)]
    return out


def state(rated: dict[str, int] | None = None, skipped: set[str] | None = None) -> RaterState:
    return RaterState(rated=rated or {}, skipped=skipped or set(), last_item=None)


def ids(seq: list[Item]) -> list[str]:
    return [it.item_id for it in seq]


def test_each_rater_has_their_own_seeded_order_of_every_item():
    pool = items()
    a = rater_order(pool, "alice", seed=1)
    assert sorted(ids(a)) == sorted(ids(pool))
    assert ids(rater_order(list(reversed(pool)), "alice", seed=1)) == ids(a)  # input order
    assert ids(rater_order(pool, "bob", seed=1)) != ids(a)
    assert ids(rater_order(pool, "alice", seed=2)) != ids(a)


def test_order_never_puts_two_items_of_one_task_side_by_side():
    for rater in ("alice", "bob", "carol", "dave", "erin"):
        order = rater_order(items(n_tasks=4, per_task=3), rater)
        assert all(a.task_id != b.task_id for a, b in pairwise(order))


def test_next_item_follows_the_order_and_skips_rated_items():
    order = rater_order(items(), "alice")
    assert next_item(order, state(), {}, k=3) == order[0]
    done = {order[0].item_id: 4, order[1].item_id: 2}
    assert next_item(order, state(done), {}, k=3, last_task=order[1].task_id) == order[2]


def test_items_with_k_ratings_are_served_last():
    order = rater_order(items(), "alice")
    counts = {it.item_id: 3 for it in order[:-1]}  # only the last item still needs ratings
    assert next_item(order, state(), counts, k=3) == order[-1]
    counts = {it.item_id: 3 for it in order}
    assert next_item(order, state(), counts, k=3) == order[0]  # all full: back to the order


def test_attention_checks_are_never_pushed_back_by_ratings_counts():
    order = rater_order(items(checks=1), "alice")
    counts = {it.item_id: 9 for it in order}
    assert next_item(order, state(), counts, k=3).kind == "check_good"


def test_skipped_items_come_after_everything_else():
    order = rater_order(items(n_tasks=2, per_task=1), "alice")
    first, second = order
    assert next_item(order, state(skipped={first.item_id}), {}, k=3) == second
    assert next_item(order, state({second.item_id: 3}, {first.item_id}), {}, k=3) == first


def test_an_item_of_the_last_task_is_avoided_while_another_task_is_left():
    order = rater_order(items(n_tasks=2, per_task=3), "alice")
    first = order[0]
    got = next_item(order, state({first.item_id: 3}), {}, k=3, last_task=first.task_id)
    assert got is not None and got.task_id != first.task_id
    only = [it for it in order if it.task_id == first.task_id]
    got = next_item(only, state({first.item_id: 3}), {}, k=3, last_task=first.task_id)
    assert got is not None and got.task_id == first.task_id  # nothing else left: serve it


def test_a_rater_who_rates_in_turn_sees_every_item_once_never_a_task_twice_in_a_row():
    pool = items(n_tasks=5, per_task=4, checks=2)
    order = rater_order(pool, "zoe", seed=7)
    st, counts, seen, last = state(), {}, [], None
    while (it := next_item(order, st, counts, k=2, last_task=last)) is not None:
        seen.append(it)
        st.rated[it.item_id] = 3
        counts[it.item_id] = counts.get(it.item_id, 0) + 1
        last = it.task_id
    assert sorted(ids(seen)) == sorted(ids(pool))
    assert all(a.task_id != b.task_id for a, b in pairwise(seen))
    assert next_item(order, st, counts, k=2) is None
