"""The closed service loop 点单→派单→接单→评单, one vectorised phase per function.

Each phase takes the model, reads and writes the columnar state, and draws
only from its own named stream. The order in which :class:`~sim.model.GovModel`
calls them is its assembled phase table (:mod:`sim.schedule`).
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

import numpy as np

from .needs import INFORMAL, NeedState, NeedType, draw_arrivals
from .providers import ProviderKind, ProviderState

if TYPE_CHECKING:
    from .model import GovModel
    from .params import Params


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _in_state(model: GovModel, state: NeedState) -> np.ndarray:
    act = model.needs.active
    return act[model.needs.state[act] == state]


def arise_needs(model: GovModel) -> None:
    """Needs arise per resident at rates set by who they are (keyed ``arrival``),
    plus the extra needs of residents whose care level has risen (keyed ``care_need``)."""
    pop = model.pop
    who, kind = draw_arrivals(model.cum_rates, model.streams.uniform("arrival", pop.uid, model.day))
    more, more_kind = excess_arrivals(model)
    extra = np.repeat([False, True], [len(who), len(more)])
    rows = np.concatenate([who, more])
    model.needs.append(rows, pop.uid[rows], np.concatenate([kind, more_kind]), model.day, extra)


def excess_arrivals(model: GovModel) -> tuple[np.ndarray, np.ndarray]:
    """Today's extra needs of residents with raised rates (keyed by resident and day)."""
    who, cum = model.excess_rows, model.excess_cum
    if len(who) == 0:
        return who, np.empty(0, np.int8)
    u = model.streams.uniform("care_need", model.pop.uid[who], model.day)
    hit = np.flatnonzero(u < cum[:, -1])
    kind = (u[hit, None] >= cum[hit]).sum(axis=1)
    return who[hit], kind.astype(np.int8)


def informal_help(model: GovModel) -> None:
    """Kin and neighbours meet some hidden needs, more often for well-tied residents.

    With no committee (dispatch rule ``none``) they also meet needs residents
    asked for: asking one's ties is all there is.
    """
    hidden = _in_state(model, NeedState.HIDDEN)
    if model.params.dispatch_rule == "none":
        act = model.needs.active
        hidden = act[model.needs.state[act] <= NeedState.OPEN]
    par = model.params
    helpers = model.helpers[model.needs.resident[hidden]]
    p = par.informal_help_prob * np.minimum(1.0, helpers / par.informal_helpers_full)
    helped = hidden[model.streams.uniform("informal", model.needs.key[hidden], model.day) < p]
    b = model.needs
    b.provider[helped] = INFORMAL
    b.quality[helped] = par.informal_quality
    b.close(helped, NeedState.DONE, model.day)


def residents_order(model: GovModel) -> None:
    """点单: each hidden need is ordered today with a chance set by trust, awareness, ties."""
    p, pop, b = model.params, model.pop, model.needs
    hidden = _in_state(model, NeedState.HIDDEN)
    r = b.resident[hidden]
    logit = (
        p.order_base
        - p.elder_order_penalty * pop.elder[r]
        + p.order_household_weight * (pop.hh_size[pop.household[r]] > 1)
        + p.order_trust_weight * pop.trust[r]
        + p.order_awareness_weight * pop.awareness[r]
        + p.order_ties_weight * np.minimum(model.neighbour_ties[r], p.order_ties_cap) / p.order_ties_cap
    )
    ordered = hidden[model.streams.uniform("order", b.key[hidden], model.day) < _sigmoid(logit)]
    b.state[ordered] = NeedState.OPEN
    b.day_ordered[ordered] = model.day


def grid_visits(model: GovModel) -> None:
    """Grid workers visit households (elders alone first) and find hidden needs."""
    p, pop, b = model.params, model.pop, model.needs
    prob = model.household_visit_prob  # visits per grid shared by household weight (model._derive)
    visited = model.streams.uniform("grid_visit", pop.hh_uid, model.day) < prob  # keyed by household, day
    hidden = _in_state(model, NeedState.HIDDEN)
    at_home = visited[pop.household[b.resident[hidden]]]
    detect = model.streams.uniform("grid_detect", b.key[hidden], model.day)
    found = hidden[at_home & (detect < p.grid_detect_prob)]
    b.state[found] = NeedState.OPEN
    b.found[found] = True
    b.day_ordered[found] = model.day
    seen = np.flatnonzero(visited[pop.household])
    pop.awareness[seen] = np.minimum(1.0, pop.awareness[seen] + p.awareness_gain_visit)


def dispatch(model: GovModel) -> None:
    """派单 and 接单: match open needs to providers, who accept or decline.

    ``closed_loop`` scores candidates by skill, past ratings, distance and load;
    ``ad_hoc`` handles only some orders each day and picks candidates at random;
    ``none`` has no committee: residents turn to volunteers among their ties.
    """
    p, b, streams = model.params, model.needs, model.streams
    rule = p.dispatch_rule
    open_ids = _in_state(model, NeedState.OPEN)
    if rule == "ad_hoc":
        open_ids = open_ids[streams.uniform("adhoc", b.key[open_ids], model.day) < p.adhoc_dispatch_prob]
    if len(open_ids) == 0:
        return
    open_ids = open_ids[np.lexsort((open_ids, b.day_ordered[open_ids]))]  # first come, first served
    kind = b.type[open_ids]
    res = b.resident[open_ids]
    if rule == "none":
        pair_o, pair_p = _tie_candidates(model, res, kind)
    else:
        pair_o, pair_p = _pool_candidates(model, open_ids, res, kind)
    if len(pair_o) == 0:
        return
    # Keyed by (need, provider, day): the same pair gets the same noise in every scenario.
    u = streams.uniform("score", b.key[open_ids[pair_o]], model.providers.ident[pair_p], model.day)
    dist = _distance_km(model, pair_p, res[pair_o])
    score = u if rule != "closed_loop" else _scores(model, pair_o, pair_p, res, kind, u, dist)
    order = sort_within_groups(pair_o, -score)
    _assign(model, open_ids, pair_o[order], pair_p[order], dist[order])


def sort_within_groups(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """``np.lexsort((key, group))`` for a non-decreasing ``group`` of small groups.

    Each group's keys are laid out as one row of a matrix padded with NaN and sorted row by
    row (stable; NaN last, as lexsort puts it), which avoids sorting the whole array.
    """
    n = len(group)
    if n == 0:
        return np.empty(0, np.int64)
    starts = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    counts = np.diff(np.append(starts, n))
    row = np.repeat(np.arange(len(starts)), counts)
    col = np.arange(n) - starts[row]
    grid = np.full((len(starts), int(counts.max())), np.nan)
    grid[row, col] = key
    take = np.argsort(grid, axis=1, kind="stable") + starts[:, None]
    return take[np.arange(grid.shape[1]) < counts[:, None]]


def _available(model: GovModel) -> np.ndarray:
    """Providers who can take an order today: active, with hours left this month, and free
    today (a volunteer on ``volunteer_days_month`` days of 30, a unit on ``unit_days_month``,
    paid staff on ``staff_days_month``; keyed by provider and day)."""
    p, pr = model.params, model.providers
    spare = pr.hours_month - pr.hours_used
    ok = (pr.state == ProviderState.ACTIVE) & (spare >= model.min_hours)
    if not p.five_society_linkage:
        ok &= pr.kind != ProviderKind.SOCIAL_WORKER
    days = np.array([p.volunteer_days_month, p.unit_days_month, p.staff_days_month, p.staff_days_month])
    ok &= model.streams.uniform("free_today", pr.ident, model.day) < days[pr.kind] / 30.0
    return ok


def effective_skills(model: GovModel) -> np.ndarray:
    """Skills as the programmes allow: no tutors without the tutoring programme,
    no volunteer mediators without the mediation team."""
    p, pr = model.params, model.providers
    skill = pr.skill
    if p.tutoring_programme and p.mediation_team:
        return skill
    skill = skill.copy()
    if not p.tutoring_programme:
        skill[:, NeedType.TUTORING] = 0
    if not p.mediation_team:
        skill[pr.kind == ProviderKind.VOLUNTEER, NeedType.DISPUTE] = 0
    return skill


def _pool_candidates(model: GovModel, open_ids, res, kind):
    """Up to ``dispatch_candidates`` random skilled providers for each order.

    An order's pool is its community's volunteers and staff plus the partner
    units that may serve it: its own community's, or with ``unit_sharing =
    subdistrict`` every unit of its subdistrict (the 街道大工委 pools the
    member units of all its communities).
    """
    p, pr, pop = model.params, model.providers, model.pop
    n_types = len(NeedType)
    prov, ptype = np.nonzero((effective_skills(model) > 0) & _available(model)[:, None])
    unit = pr.kind[prov] == ProviderKind.UNIT
    by_subdistrict = p.unit_sharing == "subdistrict"
    where = pop.comm_subdistrict if by_subdistrict else np.arange(len(pop.comm_id))
    home = pr.community[prov]
    # One sorted array of pool keys: (community, type) for volunteers and staff, then
    # (community or subdistrict, type) for units, past every community key.
    offset = len(pop.comm_id) * n_types
    group = np.where(unit, offset + where[home].astype(np.int64) * n_types, home.astype(np.int64) * n_types)
    pool_key = group + ptype
    order = np.argsort(pool_key, kind="stable")
    prov, pool_key = prov[order], pool_key[order]
    mine = pop.community[res].astype(np.int64)
    want_local = mine * n_types + kind
    want_unit = offset + where[mine].astype(np.int64) * n_types + kind
    lo1 = np.searchsorted(pool_key, want_local, "left")
    size1 = np.searchsorted(pool_key, want_local, "right") - lo1
    lo2 = np.searchsorted(pool_key, want_unit, "left")
    size2 = np.searchsorted(pool_key, want_unit, "right") - lo2
    size = size1 + size2
    take = np.minimum(size, p.dispatch_candidates)
    pair_o = np.repeat(np.arange(len(res)), take)
    slot = np.arange(len(pair_o)) - np.repeat(np.cumsum(take) - take, take)
    u = model.streams.uniform("candidate", model.needs.key[open_ids[pair_o]], slot, model.day)
    pick = (u * size[pair_o]).astype(np.int64)
    first = pick < size1[pair_o]
    pair_p = prov[np.where(first, lo1[pair_o] + pick, lo2[pair_o] + pick - size1[pair_o])]
    key = _distinct(np.sort(pair_o.astype(np.int64) * (pr.n + 1) + pair_p))
    return key // (pr.n + 1), key % (pr.n + 1)


def _distinct(x: np.ndarray) -> np.ndarray:
    """``np.unique`` of an already sorted array."""
    keep = np.ones(len(x), bool)
    keep[1:] = x[1:] != x[:-1]
    return x[keep]


def _tie_candidates(model: GovModel, res, kind):
    """Volunteers among the resident's ties who have the skill and the time."""
    src, nb = model.net.neighbours(res)
    prov = model.provider_of_resident[nb]
    ok = prov >= 0
    src, prov = src[ok], prov[ok]
    ok = _available(model)[prov] & (effective_skills(model)[prov, kind[src]] > 0)
    return src[ok], prov[ok]


def _distance_km(model: GovModel, pair_p, r):
    pr, pop = model.providers, model.pop
    return np.hypot(pr.x[pair_p] - pop.x[r], pr.y[pair_p] - pop.y[r]) / 1000.0


def _delivery_km(model: GovModel, r, kind) -> np.ndarray:
    """Extra distance of fetching a meal from the resident's nearest canteen, at most
    ``delivery_km_cap`` (which it is if there is none)."""
    cap = model.params.delivery_km_cap
    return np.where(kind == NeedType.MEAL, np.minimum(model.meal_km[r], cap), 0.0)


def _scores(model: GovModel, pair_o, pair_p, res, kind, u, dist):
    """Closed-loop score of each (order, provider) pair; ``u`` gives its Gumbel noise and
    ``dist`` the provider's distance to the resident in km."""
    p, pr = model.params, model.providers
    skill = pr.skill[pair_p, kind[pair_o]]
    load = pr.hours_used[pair_p] / np.maximum(pr.hours_pref[pair_p], 1e-6)
    quality = pr.quality_estimate(p, pair_p)
    # Gumbel(0, score_gumbel_scale)
    noise = -p.score_gumbel_scale * np.log(-np.log(np.clip(u, 1e-12, 1.0 - 1e-12)))
    # Complex cases (disputes, disabled residents) go to the most skilled (skill 2):
    # social workers, care staff, skilled volunteers and units.
    r = res[pair_o]
    complex_case = (kind[pair_o] == NeedType.DISPUTE) | (model.pop.care_level[r] >= 3)
    return (
        p.score_skill_weight * skill
        + p.score_complex_bonus * complex_case * (skill >= 2)
        + p.score_rating_weight * (quality - p.score_rating_reference)
        - dist
        - load
        + noise
    )


POINTER_ROUNDS_FROM = 2000  # pairs in a day from which the rounds run in numpy (same result)


def _assign(model: GovModel, open_ids, pair_o, pair_p, pair_km) -> None:
    """Rounds of proposals: each open order asks its best remaining candidate.

    ``pair_o``/``pair_p`` are sorted by order priority then score. In a round every order
    still waiting proposes to its best candidate whose remaining hours this month and today
    (``*_hours_day``) still fit the order, so an order moves on past a provider who is full
    instead of waiting for them; a provider considers only the highest-priority proposal
    it receives, and a proposed pair is spent whatever the answer.

    Two ways to run the same rounds: :func:`_rounds_scalar`, a loop over the providers
    asked, for a community's day (fewer than :data:`POINTER_ROUNDS_FROM` pairs, where a round
    of numpy calls costs more than the work in it), and :func:`_rounds_by_pointer` in numpy
    for a large day.
    They differ only in speed (``tests/test_dispatch.py``).
    """
    p, b, pr, day = model.params, model.needs, model.providers, model.day
    hours = model.hours_by_type[b.type[open_ids]]
    day_cap = np.array([p.volunteer_hours_day, p.unit_hours_day, p.staff_hours_day, p.staff_hours_day])
    sent = open_ids[_distinct(pair_o)]  # needs with at least one candidate are dispatched
    b.day_dispatched[sent[b.day_dispatched[sent] < 0]] = day
    pair_h = hours[pair_o]
    # Per pair, drawn once (keyed by need, provider and day: the same in whichever round).
    need_of = open_ids[pair_o]
    pair_u = model.streams.uniform("accept", b.key[need_of], pr.ident[pair_p], day)
    accept = _Acceptance(model, pair_p, b.resident[need_of], b.type[need_of], pair_km)
    if len(pair_o) < POINTER_ROUNDS_FROM:
        won_o, won_p = _rounds_scalar(model, pair_o, pair_p, pair_h, pair_u, accept, day_cap)
    else:
        won_o, won_p = _rounds_numpy(model, len(open_ids), pair_o, pair_p, pair_h, pair_u, accept, day_cap)
    ids = open_ids[won_o]
    b.state[ids] = NeedState.ACCEPTED
    b.provider[ids] = won_p
    b.day_accepted[ids] = day
    lag = np.where(b.type[ids] == NeedType.REPAIR, p.repair_lag_days, 0)
    b.day_due[ids] = day + lag


def _rounds_numpy(model: GovModel, orders, pair_o, pair_p, pair_h, pair_u, accept, day_cap):
    """The rounds in numpy (a large day); updates the providers' counts and hours and returns
    the accepted (order, provider) pairs."""
    pr = model.providers
    left_today = day_cap[pr.kind]  # nobody has served yet today: dispatch runs once a day
    assigned = np.zeros(orders, bool)
    won_o, won_p = [], []

    def fits(pv, h):
        return (pr.hours_used[pv] + h <= pr.hours_month[pv]) & (h <= left_today[pv])

    for prop in _rounds_by_pointer(pair_o, pair_p, pair_h, assigned, fits, pr.n):
        pv, o = pair_p[prop], pair_o[prop]
        pr.notified_month[pv] += 1
        yes = pair_u[prop] < accept.prob(prop, pv)
        pr.declines_month[pv[~yes]] += 1
        pv, o, h = pv[yes], o[yes], pair_h[prop[yes]]
        assigned[o] = True
        pr.hours_used[pv] += h
        left_today[pv] -= h
        won_o.append(o)
        won_p.append(pv)
    if not won_o:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(won_o), np.concatenate(won_p)


def _rounds_scalar(model: GovModel, pair_o, pair_p, pair_h, pair_u, accept, day_cap):
    """The rounds of :func:`_rounds_numpy` in Python numbers, with the same operations in the
    same order (hours kept as the ``float32`` the table stores), so the result is the same
    bit for bit. Each provider keeps a queue of the orders whose best candidate it is; a
    round takes the head of every queue, so it costs the providers asked, not every order
    still waiting. Updates the providers' counts and hours and returns the accepted
    (order, provider) pairs."""
    pr, w = model.providers, model.params.accept_notification_weight
    touched = np.unique(pair_p)
    row = dict(zip(touched.tolist(), range(len(touched)), strict=True))
    used = pr.hours_used[touched].tolist()
    month = pr.hours_month[touched].tolist()
    left = day_cap[pr.kind[touched]].tolist()
    notified = pr.notified_month[touched].tolist()
    declines = [0] * len(touched)
    cand = [row[v] for v in pair_p.tolist()]
    order, hrs, uni = pair_o.tolist(), pair_h.tolist(), pair_u.tolist()
    vol, fixed = accept.volunteer.tolist(), accept.fixed.tolist()
    base, dist, fetch = accept.base.tolist(), accept.dist.tolist(), accept.fetch.tolist()
    # Each order's pairs run from ptr (its best candidate not yet spent or found full) to end.
    starts = np.flatnonzero(np.r_[True, pair_o[1:] != pair_o[:-1]])
    ptr = starts.tolist()
    end = np.append(starts[1:], len(pair_o)).tolist()
    # The orders whose best candidate is provider v, as a heap: in a round v hears from the
    # first of them (the highest priority); the others ask v again next round.
    queue: dict[int, list[int]] = {}
    most: dict[int, float] = {}  # at least the largest order (hours) in v's queue

    def place(j: int, q: int) -> None:
        """Point order j at its best candidate from pair q on that has room (none: it is out)."""
        e, h = end[j], hrs[q] if q < end[j] else 0.0
        while q < e and not (used[cand[q]] + h <= month[cand[q]] and h <= left[cand[q]]):
            q += 1  # full: hours only fill up during a day, so it stays full
        ptr[j] = q
        if q < e:
            v = cand[q]
            heapq.heappush(queue.setdefault(v, []), j)
            most[v] = max(most.get(v, 0.0), h)

    for j in range(len(ptr)):
        place(j, ptr[j])
    won_o, won_p = [], []
    while queue:
        replace, filled = [], []
        for v, heap in list(queue.items()):  # this round's proposals, one per provider
            j = heapq.heappop(heap)
            q = ptr[j]
            notified[v] += 1
            if vol[q]:
                prob = 1.0 / (1.0 + math.exp(-(((base[q] - w * notified[v]) - dist[q]) - fetch[q])))
            else:
                prob = fixed[q]
            if uni[q] < prob:
                h = hrs[q]
                used[v] = float(np.float32(used[v] + h))
                left[v] -= h
                won_o.append(order[q])
                won_p.append(v)
                filled.append(v)
            else:
                declines[v] += 1
                replace.append((j, q + 1))  # the pair is spent whatever the answer
        for v in filled:  # v's hours went down: orders waiting for v that no longer fit move on
            h = most.get(v, 0.0)
            if used[v] + h <= month[v] and h <= left[v]:
                continue  # the largest still fits, so every one does
            keep, out = [], []
            for j in queue[v]:
                h = hrs[ptr[j]]
                (keep if used[v] + h <= month[v] and h <= left[v] else out).append(j)
            if out:
                replace += [(j, ptr[j] + 1) for j in out]
                heapq.heapify(keep)
                queue[v] = keep
                most[v] = max((hrs[ptr[j]] for j in keep), default=0.0)
        for v in [v for v, heap in queue.items() if not heap]:
            del queue[v]
        for j, q in replace:  # heaps: the order of placing does not matter
            place(j, q)
    pr.hours_used[touched] = used
    pr.notified_month[touched] = notified
    pr.declines_month[touched] += np.array(declines, pr.declines_month.dtype)
    back = touched[np.array(won_p, np.int64)] if won_p else np.empty(0, np.int64)
    return np.array(won_o, np.int64), back


def _one_per_provider(pv: np.ndarray, providers: int) -> np.ndarray:
    """Positions of the first (highest-priority) proposal to each provider, in order."""
    pos = np.arange(len(pv))
    first = np.full(providers, len(pv))
    np.minimum.at(first, pv, pos)
    return pos[first[pv] == pos]


def _rounds_by_pointer(pair_o, pair_p, pair_h, assigned, fits, providers):
    """Each round's proposals from a pointer per order to its best candidate not yet spent
    or found full. Hours only fill up during a day, so a candidate found full stays full
    and a pointer only moves forward: a round touches the waiting orders, not every pair."""
    everyone = np.arange(len(assigned))
    ptr = np.searchsorted(pair_o, everyone, "left")  # each order's pairs: ptr .. end - 1
    end = np.searchsorted(pair_o, everyone, "right")
    waiting = everyone[ptr < end]
    while len(waiting):
        check = waiting
        while len(check):  # move pointers past candidates that are full
            q = ptr[check]
            check = check[~fits(pair_p[q], pair_h[q])]
            ptr[check] += 1
            check = check[ptr[check] < end[check]]
        waiting = waiting[ptr[waiting] < end[waiting]]
        if len(waiting) == 0:
            return
        q = ptr[waiting]
        at = _one_per_provider(pair_p[q], providers)
        ptr[waiting[at]] += 1  # spent, whatever the answer
        yield q[at]
        waiting = waiting[(ptr[waiting] < end[waiting]) & ~assigned[waiting]]


class _Acceptance:
    """Chance a provider accepts an order: a volunteer by motivation, notifications this
    month, distance (``km``) and, for meal deliveries, the way to the canteen; a unit or paid
    staff with a fixed chance, lowered by that way too. Everything but the notifications is
    computed once per pair for the day's rounds."""

    def __init__(self, model: GovModel, pair_p, r, kind, km) -> None:
        p, pr = model.params, model.providers
        self.model = model
        fetch = p.delivery_distance_weight * _delivery_km(model, r, kind)
        self.base = p.accept_base + p.accept_motivation_weight * (pr.motivation[pair_p] - 0.5)
        self.dist = p.accept_distance_weight * km
        self.fetch = fetch
        k = pr.kind[pair_p]
        self.volunteer = k == ProviderKind.VOLUNTEER
        factor = np.exp(-fetch)  # units and staff also find far deliveries harder
        self.fixed = np.where(
            k == ProviderKind.UNIT, p.unit_accept_prob * factor, p.staff_accept_prob * factor
        )

    def prob(self, prop, pv):
        p, pr = self.model.params, self.model.providers
        out = self.fixed[prop]
        v = self.volunteer[prop]
        i = prop[v]
        logit = (
            self.base[i]
            - p.accept_notification_weight * pr.notified_month[pv[v]]
            - self.dist[i]
            - self.fetch[i]
        )
        out[v] = _sigmoid(logit)
        return out


def serve(model: GovModel) -> None:
    """Accepted services due today happen; under ``closed_loop`` the resident rates them (评单)."""
    p, b, pr, pop = model.params, model.needs, model.providers, model.pop
    acc = _in_state(model, NeedState.ACCEPTED)
    due = acc[b.day_due[acc] <= model.day]
    model.today["served"] = due
    if len(due) == 0:
        return
    prov = b.provider[due]
    skill = pr.skill[prov, b.type[due]]
    wait = model.day - b.day_ordered[due]
    q = (
        p.quality_base
        + p.quality_skill_weight * skill
        + p.quality_motivation_weight * (pr.motivation[prov] - 0.5)
        - p.quality_wait_penalty_day * wait
    )
    noise = model.streams.normal("quality", "quality_angle", b.key[due])
    q = np.clip(q + p.service_quality_noise * noise, 0.0, 1.0)
    b.quality[due] = q
    b.close(due, NeedState.DONE, model.day)
    np.add.at(pr.services_month, prov, 1)
    r = b.resident[due]
    if p.dispatch_rule == "closed_loop":
        stars = rate(q, p)
        b.rating[due] = stars
        np.add.at(pr.rating_sum, prov, stars)
        np.add.at(pr.rating_n, prov, 1)
    if p.dispatch_rule != "none":
        np.add.at(pop.trust, r, p.trust_gain * (q - p.trust_quality_reference))
    pop.awareness[r] = np.minimum(1.0, pop.awareness[r] + p.awareness_gain_service)
    _pull_satisfaction(model, r, q)
    vol = pr.kind[prov] == ProviderKind.VOLUNTEER
    u = model.streams.uniform("service_tie", b.key[due[vol]])
    model.net.touch(r[vol], pr.resident[prov[vol]], model.day, u, p.service_tie_prob)


def rate(quality: np.ndarray, p: Params) -> np.ndarray:
    """Stars 1-5 a resident gives: courteous, so anything above ``rating_satisfied_threshold``
    is 4-5; the other edges lie the ``rating_*_stars_*`` distances from it."""
    t = p.rating_satisfied_threshold
    edges = np.array(
        [t - p.rating_two_stars_below, t - p.rating_three_stars_below, t, t + p.rating_five_stars_above]
    )
    return (1 + np.searchsorted(edges, quality, side="right")).astype(np.int8)


def expire(model: GovModel) -> None:
    """Orders past their wait expire unserved; hidden needs past their life lapse. Either
    costs the resident's trust in the committee, whatever the dispatch rule."""
    p, b, pop = model.params, model.needs, model.pop
    open_ids = _in_state(model, NeedState.OPEN)
    late = open_ids[model.day - b.day_ordered[open_ids] >= p.order_wait_days]
    b.close(late, NeedState.EXPIRED, model.day)
    r = b.resident[late]
    np.add.at(pop.trust, r, -p.trust_loss)  # residents judge the committee under every rule
    _pull_satisfaction(model, r, 0.0)
    hidden = _in_state(model, NeedState.HIDDEN)
    gone = hidden[model.day - b.day_arisen[hidden] >= p.hidden_lapse_days]
    b.close(gone, NeedState.LAPSED, model.day)
    np.add.at(pop.trust, b.resident[gone], -p.trust_loss_lapsed)
    _pull_satisfaction(model, b.resident[gone], p.lapsed_satisfaction)
    np.clip(pop.trust, 0.0, 1.0, out=pop.trust)
    b.compact()


def _pull_satisfaction(model: GovModel, r: np.ndarray, value) -> None:
    pop, a = model.pop, model.params.satisfaction_update
    sat = pop.satisfaction
    np.add.at(sat, r, a * (np.asarray(value, np.float32) - sat[r]))


def monthly_drift(model: GovModel) -> None:
    """Satisfaction drifts back toward its baseline (lower for the isolated), trust toward
    the resident's day-0 trust; awareness fades."""
    p, pop = model.params, model.pop
    baseline = p.satisfaction_baseline - p.isolation_satisfaction_penalty * (model.neighbour_ties == 0)
    pop.satisfaction += p.satisfaction_recovery_month * (baseline - pop.satisfaction)
    pop.trust += (p.trust_regression_month * (model.trust0 - pop.trust)).astype(np.float32)
    pop.awareness *= 1.0 - p.awareness_forget_month


def weekly_awareness(model: GovModel) -> None:
    """Awareness of services spreads along ties (run after ``refresh_tie_counts``)."""
    net, pop = model.net, model.pop
    a = pop.awareness
    # Sum over each resident's ties: the (v, u)-sorted copy gives each v the same order of terms.
    mean = np.bincount(net.u, a[net.v], net.n)
    mean += np.bincount(net.vv, a[net.vu], net.n)
    deg = model.all_ties
    mean /= np.maximum(deg, 1)
    np.copyto(mean, a, where=deg == 0)
    mean -= a
    mean *= model.params.awareness_diffusion_week
    a += mean.astype(np.float32)
