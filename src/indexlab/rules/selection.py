"""Membership at each review: the rules that depend on the index's own history.

Reviews are processed in order; each takes the screens of
:mod:`indexlab.rules.universe` for its snapshot and the members of the previous
review, and returns the new members:

1. market-cap threshold: ``min_market_cap`` for newcomers, ``min_market_cap_members``
   (default: the same) for current members;
2. seasoning: a newcomer must have been eligible at ``seasoning_reviews`` consecutive
   reviews, this one included (members need not). The count runs on the review
   calendar from the asset's own history, reaching back before the run's start (see
   :func:`warmup_streak`), so that membership does not depend on the chosen start;
3. the count rule over the candidates ranked by the ranking measure (ties by asset
   id): ``top_n``; ``rank_band`` [a, b]; ``max_n``; or ``coverage`` (the fewest
   top-ranked covering that share of the candidates' total measure, within
   ``min_n``..``max_n``);
4. buffers (with ``top_n``): members stay while ranked within ``exit_rank``;
   newcomers ranked within ``entry_rank`` enter only into the places members left free,
   best ranked first; places still free are filled with the best ranked of the rest.
   With ``replacement_ratio`` b, a newcomer replaces the smallest member only if its
   measure is at least (1 + b) times larger.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from indexlab.spec.model import Universe


@dataclass(frozen=True)
class Review:
    """What one review needs: per asset, over the market's assets."""

    eligible: np.ndarray  # passed the history-free screens (bool)
    market_cap: np.ndarray  # for the thresholds (NaN where invalid)
    measure: np.ndarray  # the ranking measure (NaN where invalid)


def _ranked(candidates: np.ndarray, measure: np.ndarray) -> np.ndarray:
    """Indices of the candidates, largest measure first, ties by index (asset id)."""
    index = np.flatnonzero(candidates)
    order = np.argsort(-measure[index], kind="stable")
    return index[order]


def _count(rule: Universe, ranked: np.ndarray, measure: np.ndarray) -> np.ndarray:
    """The members a count rule picks from the ranked candidates (no buffers)."""
    if rule.rank_band is not None:
        first, last = rule.rank_band
        return ranked[first - 1 : last]
    if rule.coverage is not None:
        values = measure[ranked]
        total = values.sum()
        if total <= 0:
            return ranked[:0]
        # The fewest top-ranked whose cumulative share reaches the coverage target.
        reached = np.cumsum(values) >= rule.coverage * total * (1 - 1e-12)
        k = int(np.argmax(reached)) + 1 if reached.any() else len(ranked)
        if rule.min_n is not None:
            k = max(k, rule.min_n)
        if rule.max_n is not None:
            k = min(k, rule.max_n)
        return ranked[:k]
    n = rule.top_n if rule.top_n is not None else rule.max_n
    return ranked[:n]


def _buffered(
    rule: Universe, ranked: np.ndarray, measure: np.ndarray, previous: np.ndarray
) -> np.ndarray:
    """Members with a rank buffer: the members ranked within the exit rank stay (all of
    them: at most N were members), newcomers ranked within the entry rank take the free
    places by rank, and what is still free goes to the best ranked of the rest."""
    n = rule.top_n
    rank = np.full(len(measure), np.iinfo(np.int64).max)
    rank[ranked] = np.arange(1, len(ranked) + 1)
    member = previous[ranked]
    if rule.entry_rank is not None or rule.exit_rank is not None:
        entry = rule.entry_rank if rule.entry_rank is not None else n
        exit_ = rule.exit_rank if rule.exit_rank is not None else n
        keep = ranked[member & (rank[ranked] <= exit_)][:n]
        newcomers = ranked[~member & (rank[ranked] <= entry)]
    else:
        keep = ranked[member][:n]
        newcomers = ranked[:0]
    chosen = np.concatenate([keep, newcomers[: max(n - len(keep), 0)]])
    if len(chosen) < n:  # fill with the best-ranked of the rest
        rest = ranked[~np.isin(ranked, chosen)]
        chosen = np.concatenate([chosen, rest[: n - len(chosen)]])
    if rule.replacement_ratio > 0:
        chosen = list(chosen)
        outside = [i for i in ranked if i not in set(chosen)]
        for candidate in outside:  # best-ranked newcomer first
            weakest = min(chosen, key=lambda i: (measure[i], -rank[i]))
            if measure[candidate] >= (1 + rule.replacement_ratio) * measure[weakest]:
                chosen[chosen.index(weakest)] = candidate
            else:
                break
        chosen = np.array(chosen, dtype=np.int64)
    return chosen


def depends_on_history(rule: Universe) -> bool:
    """Whether a review needs the previous members (buffers, seasoning, a lower
    market-cap threshold for members); if not, reviews are independent."""
    member_cap = rule.min_market_cap_members
    return (
        rule.has_buffer
        or rule.seasoning_reviews > 1
        or (member_cap is not None and member_cap != rule.min_market_cap)
    )


def ranking_order(
    eligible: np.ndarray,
    market_cap: np.ndarray,
    measure: np.ndarray,
    min_market_cap: float,
    keep: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """At every review: the assets ordered by measure (largest first, ties by asset id,
    non-candidates last) and the number of candidates (eligible, with a market cap of
    at least ``min_market_cap`` and a finite measure). Shared by every count rule.
    With ``keep``, only the first ``keep`` ranks are ordered and returned (all a top-N
    rule needs; the count is still of every candidate)."""
    with np.errstate(invalid="ignore"):
        candidates = eligible & (market_cap >= min_market_cap) & np.isfinite(measure)
    keyed = np.where(candidates, -measure, np.inf)
    counts = candidates.sum(axis=1)
    if keep is not None and 0 < keep < keyed.shape[1]:
        return _leading_order(keyed, counts, keep), counts
    # A quicksort is twice as fast as a stable sort; it differs only where candidates
    # tie, and those (rare) rows are sorted again, stably.
    order = np.argsort(keyed, axis=1)
    ties = _ranked_ties(np.take_along_axis(keyed, order, axis=1), counts)
    if ties.any():
        order[ties] = np.argsort(keyed[ties], axis=1, kind="stable")
    return order, counts


def _ranked_ties(ordered: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per row of sorted keys, whether two of the first ``counts`` are equal (their order
    must then come from asset ids, which an unstable sort does not keep)."""
    ranked = np.arange(1, ordered.shape[1])[None, :] < counts[:, None]
    return ((ordered[:, 1:] == ordered[:, :-1]) & ranked).any(axis=1)


def _leading_order(keyed: np.ndarray, counts: np.ndarray, keep: int) -> np.ndarray:
    """The first ``keep`` columns of the stable ascending order of each row of
    ``keyed`` (where ranks past ``counts`` do not matter): a partition, then a sort of
    the ``keep`` smallest. Rows where ties make the cut or the order ambiguous are
    sorted whole, stably."""
    part = np.argpartition(keyed, keep - 1, axis=1)[:, :keep]
    values = np.take_along_axis(keyed, part, axis=1)
    inner = np.argsort(values, axis=1)
    order = np.take_along_axis(part, inner, axis=1)
    ordered = np.take_along_axis(values, inner, axis=1)
    cut = ordered[:, -1]
    ranked = np.minimum(counts, keep)
    # A candidate beyond the cut equal to the last kept one: who is kept depends on ids.
    beyond = ((keyed == cut[:, None]).sum(axis=1) > (ordered == cut[:, None]).sum(axis=1)) & (
        counts > keep
    )
    again = beyond | _ranked_ties(ordered, ranked)
    if again.any():
        order[again] = np.argsort(keyed[again], axis=1, kind="stable")[:, :keep]
    return order


def independent_columns(
    rule: Universe, order: np.ndarray, n_candidates: np.ndarray, measure: np.ndarray
) -> np.ndarray:
    """Members at every review for rules without history, as column indices in rank
    order (review x slots, -1 where a review has fewer members than slots)."""
    reviews = np.arange(order.shape[0])
    if rule.rank_band is not None:
        first, last = rule.rank_band
        start = np.full(len(order), first - 1)
        stop = np.minimum(n_candidates, last)
    else:
        start = np.zeros(len(order), dtype=np.int64)
        if rule.coverage is not None:
            ordered = np.take_along_axis(measure, order, axis=1)
            ranked = np.arange(order.shape[1])[None, :] < n_candidates[:, None]
            running = np.cumsum(np.where(ranked, ordered, 0.0), axis=1)
            total = running[reviews, np.maximum(n_candidates - 1, 0)]
            count = (running < rule.coverage * total[:, None] * (1 - 1e-12)).sum(axis=1) + 1
            count = np.where(total > 0, np.minimum(count, n_candidates), 0)
            if rule.min_n is not None:
                count = np.maximum(count, rule.min_n)
            if rule.max_n is not None:
                count = np.minimum(count, rule.max_n)
        else:
            count = np.full(len(order), rule.top_n if rule.top_n is not None else rule.max_n)
        stop = np.minimum(n_candidates, count)
    width = int(max((stop - start).max(initial=0), 0))
    slots = start[:, None] + np.arange(width)[None, :]
    inside = slots < stop[:, None]
    taken = np.take_along_axis(order, np.minimum(slots, order.shape[1] - 1), axis=1)
    return np.where(inside, taken, -1)


def columns_of(members: np.ndarray) -> np.ndarray:
    """A (review x asset) membership mask as column indices (review x slots, -1 padded),
    in column order."""
    counts = members.sum(axis=1)
    width = int(counts.max(initial=0))
    order = np.argsort(~members, axis=1, kind="stable")[:, :width]
    return np.where(np.arange(width)[None, :] < counts[:, None], order, -1)


def select_independent(
    rule: Universe, eligible: np.ndarray, market_cap: np.ndarray, measure: np.ndarray
) -> np.ndarray:
    """Members at every review at once (review x asset mask), for rules without
    history: the same result as :func:`select_members`, vectorised."""
    order, n_candidates = ranking_order(eligible, market_cap, measure, rule.min_market_cap)
    columns = independent_columns(rule, order, n_candidates, measure)
    members = np.zeros(eligible.shape, dtype=bool)
    rows, slots = np.nonzero(columns >= 0)
    members[rows, columns[rows, slots]] = True
    return members


def warmup_streak(
    rule: Universe, reviews: list[Review], listed_at_start: np.ndarray, missing: int
) -> np.ndarray:
    """Each asset's count of consecutive eligible reviews before the run's first review:
    seasoning counts from the asset's own history, not from the run's start.

    ``reviews`` are the calendar's last reviews before the run (oldest first), read from
    the data; ``missing`` more precede them where the calendar reaches before the data
    begin (or has no earlier date): there an asset counts as eligible if it has a close
    on the data's first day (its history begins before the data), any other does not.
    Eligibility is a newcomer's: the screens and the newcomers' market-cap threshold.
    """
    streak = np.where(listed_at_start, missing, 0).astype(np.int64)
    for review in reviews:
        with np.errstate(invalid="ignore"):
            eligible = review.eligible & (review.market_cap >= rule.min_market_cap)
        streak = np.where(eligible, streak + 1, 0)
    return streak


def _record(detail: dict, r: int, n_reviews: int, eligible, streak, ranked) -> None:
    if not detail:
        shape = (n_reviews, len(eligible))
        detail.update(
            eligible=np.zeros(shape, dtype=bool),
            streak=np.zeros(shape, dtype=np.int64),
            rank=np.zeros(shape, dtype=np.int64),
        )
    detail["eligible"][r] = eligible
    detail["streak"][r] = streak
    detail["rank"][r, ranked] = np.arange(1, len(ranked) + 1)


def select_members(
    rule: Universe,
    reviews: list[Review],
    always: np.ndarray | None = None,
    streak: np.ndarray | None = None,
    detail: dict | None = None,
):
    """Members (bool, review x asset) and the number of candidates at each review.

    ``always`` (bool over assets): assets that are members whenever they are valid,
    outside the count (fixed-weight assets). ``streak``: each asset's consecutive
    eligible reviews before the first (:func:`warmup_streak`; default none). ``detail``
    (a dict), if given, receives per review and asset: ``eligible`` (past the
    thresholds), ``streak``, ``rank`` among those who may enter (0: none).
    """
    n_assets = len(reviews[0].eligible) if reviews else 0
    members = np.zeros((len(reviews), n_assets), dtype=bool)
    candidates_count = np.zeros(len(reviews), dtype=np.int64)
    streak = np.zeros(n_assets, dtype=np.int64) if streak is None else streak.copy()
    previous = np.zeros(n_assets, dtype=bool)
    newcomer_cap = rule.min_market_cap
    member_cap = (
        rule.min_market_cap_members if rule.min_market_cap_members is not None else newcomer_cap
    )
    for r, review in enumerate(reviews):
        threshold = np.where(previous, member_cap, newcomer_cap)
        with np.errstate(invalid="ignore"):
            eligible = review.eligible & (review.market_cap >= threshold)
        streak = np.where(eligible, streak + 1, 0)
        can_enter = eligible & (previous | (streak >= rule.seasoning_reviews))
        forced = np.zeros(n_assets, dtype=bool)
        if always is not None:
            forced = always & eligible
            can_enter &= ~always
        ranked = _ranked(can_enter, review.measure)
        candidates_count[r] = len(ranked)
        if detail is not None:
            _record(detail, r, len(reviews), eligible, streak, ranked)
        if rule.has_buffer:
            chosen = _buffered(rule, ranked, review.measure, previous)
        else:
            chosen = _count(rule, ranked, review.measure)
        members[r, chosen] = True
        members[r] |= forced
        previous = members[r]
    return members, candidates_count


@dataclass(frozen=True, eq=False)
class Members:
    """The selection step's output, per review: the member columns (reviews x slots,
    -1 padded) and the number of candidates. When the members are the first ``top``
    ranks of ``order`` (a top-N rule without history), the ranking is kept instead, so
    that weights can be read off shared prefix sums, and the columns are made only
    when asked for."""

    explicit: np.ndarray | None
    n_candidates: np.ndarray
    order: np.ndarray | None = None
    top: int | None = None

    @cached_property
    def columns(self) -> np.ndarray:
        if self.explicit is not None:
            return self.explicit
        width = min(self.top, self.order.shape[1])
        used = np.arange(width)[None, :] < self.counts[:, None]
        return np.where(used, self.order[:, :width], -1)

    @cached_property
    def counts(self) -> np.ndarray:
        if self.explicit is None:
            return np.minimum(self.n_candidates, self.top)
        return (self.explicit >= 0).sum(axis=1)


def prefix_members(order: np.ndarray, n_candidates: np.ndarray, top: int) -> Members:
    """The first ``top`` ranks of each review's ``order`` (or all its candidates)."""
    return Members(None, n_candidates, order, top)


def select(
    rule: Universe,
    reviews: list[Review],
    always: np.ndarray | None = None,
    streak: np.ndarray | None = None,
) -> Members:
    """The selection step for rules with history (buffers, seasoning, member-aware
    thresholds) or fixed-weight members: reviews in order, each from the screens of its
    snapshot and the members of the previous one."""
    members, n_candidates = select_members(rule, reviews, always, streak)
    return Members(columns_of(members), n_candidates)
