"""Community canteens (社区食堂): facilities, the daily lunch choice and the accounts.

A canteen is run by a caterer in idle office space (230 m², 8-12 yuan a meal,
docs/sources.md [A]). Each day residents at home at lunchtime who can walk — people
aged 60+ and adults not in work — choose between cooking, the canteen,
takeaway and going without, by a multinomial logit over price (with the age
discount), distance, quality, habit and the share of their ties who eat there.
Seats × sittings caps the canteen; those turned away take their next choice.
Meals delivered to residents who cannot walk (the loop's MEAL needs) also come
from the canteen. A canteen whose losses exceed the operator's tolerance closes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .population import Employment
from .window import GROUPS

if TYPE_CHECKING:
    from .model import GovModel


class Meal(enum.IntEnum):
    """Today's lunch."""

    COOK = 0
    CANTEEN = 1
    TAKEAWAY = 2
    SKIP = 3  # went without a proper meal
    NONE = -1  # not in the lunch choice today (at work, child, cannot walk)


ACCOUNT_COLUMNS = (
    "meals_walkin",
    "meals_delivered",
    "meals_60plus",
    "meals_elderly_alone",
    "turned_away",
    "revenue",
    "subsidy",
    "food_cost",
    "labour_cost",
)


@dataclass
class Canteens:
    """The canteens of the model, one row each, and their daily books."""

    community: list[int] = field(default_factory=list)
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    seats: list[int] = field(default_factory=list)
    sittings: list[int] = field(default_factory=list)
    price: list[float] = field(default_factory=list)
    discount: list[float] = field(default_factory=list)
    subsidy: list[float] = field(default_factory=list)
    quality: list[float] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)  # -1 while open
    closed_for_losses: list[bool] = field(default_factory=list)
    balance: list[float] = field(default_factory=list)
    books: dict[str, np.ndarray] = field(
        default_factory=lambda: {name: np.zeros((64, 4)) for name in ACCOUNT_COLUMNS}
    )
    book_rows: int = 0  # books are kept every day from day 0: row i is day i

    @property
    def n(self) -> int:
        return len(self.community)

    def is_open(self, day: int) -> np.ndarray:
        opened = np.asarray(self.opened, int)
        closed = np.asarray(self.closed, int)
        return (opened <= day) & (closed < 0)

    def capacity(self) -> np.ndarray:
        return np.asarray(self.seats, float) * np.asarray(self.sittings, float)

    def add(self, *, community: int, x: float, y: float, day: int, **terms: float) -> int:
        """Open a canteen; ``terms`` are seats, sittings, price, discount, subsidy, quality."""
        self.community.append(int(community))
        self.x.append(float(x))
        self.y.append(float(y))
        for name in ("seats", "sittings", "price", "discount", "subsidy", "quality"):
            getattr(self, name).append(terms[name])
        self.opened.append(day)
        self.closed.append(-1)
        self.closed_for_losses.append(False)
        self.balance.append(0.0)
        return self.n - 1

    def table(self, name: str) -> np.ndarray:
        """Book column ``name`` as a (days, canteens) array, zero before a canteen existed."""
        return self.books[name][: self.book_rows, : self.n]

    @property
    def book_days(self) -> np.ndarray:
        return np.arange(self.book_rows)

    def record(self, day: int, today: dict[str, np.ndarray]) -> None:
        """Append one day of books (one value per canteen for each column)."""
        if day != self.book_rows:
            raise RuntimeError(f"canteen books must be kept daily: got day {day}, expected {self.book_rows}")
        rows, cols = self.books[ACCOUNT_COLUMNS[0]].shape
        if self.book_rows == rows or self.n > cols:
            for name in ACCOUNT_COLUMNS:
                grown = np.zeros((max(rows, self.book_rows + 1) * 2, max(cols, self.n) * 2))
                grown[:rows, :cols] = self.books[name]
                self.books[name] = grown
        for name in ACCOUNT_COLUMNS:
            self.books[name][self.book_rows, : self.n] = today[name]
        self.book_rows += 1


def site_for_new_canteen(model: GovModel, community: int) -> tuple[float, float]:
    """Where a planner would put another canteen: the grid with the most people
    aged 60+ farther than 500 m from every open canteen (its residents' centroid)."""
    pop = model.pop
    lo, hi = model.community_rows[community]
    elder = np.flatnonzero(pop.elder[lo:hi]) + lo
    far = np.ones(len(elder), bool)
    c = model.canteens
    for k in np.flatnonzero(c.is_open(model.day) & (np.asarray(c.community) == community)):
        far &= np.hypot(pop.x[elder] - c.x[k], pop.y[elder] - c.y[k]) > 500.0
    pool = elder[far] if far.any() else elder
    grids, counts = np.unique(pop.grid[pool], return_counts=True)
    best = grids[np.argmax(counts)]  # ties go to the lowest grid number: deterministic
    members = pool[pop.grid[pool] == best]
    return float(pop.x[members].mean()), float(pop.y[members].mean())


def open_default_canteens(model: GovModel) -> None:
    """``canteens_per_community`` canteens per community at day 0, sited one by one."""
    p = model.params
    for community in range(p.communities):
        for _ in range(p.canteens_per_community):
            open_canteen(model, community, refresh=False)
    model.refresh_meal_geography()


def open_canteen(model: GovModel, community: int, refresh: bool = True, **overrides: float) -> int:
    """Open a canteen in ``community`` with the parameter defaults unless overridden.

    ``refresh=False`` skips recomputing every diner's nearest canteen (the caller does it once).
    """
    p = model.params
    terms = {
        "seats": p.canteen_seats,
        "sittings": p.canteen_sittings,
        "price": p.canteen_price,
        "discount": p.canteen_elder_discount,
        "subsidy": p.canteen_subsidy,
        "quality": p.canteen_quality,
    }
    terms.update({k: v for k, v in overrides.items() if v is not None})
    x, y = site_for_new_canteen(model, community)
    k = model.canteens.add(community=community, x=x, y=y, day=model.day, **terms)
    if refresh:
        model.refresh_meal_geography()
    return k


def diners(model: GovModel) -> np.ndarray:
    """Residents in today's lunch choice: 60+ or adults not in work, who can walk."""
    pop = model.pop
    home = pop.elder | ((pop.age >= 18) & (pop.employment != Employment.EMPLOYED))
    return np.flatnonzero(home & (pop.care_level <= 1))


def nearest_canteen(model: GovModel, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest open canteen in each resident's community (-1 if none) and its distance in km."""
    c, pop = model.canteens, model.pop
    best = np.full(len(who), -1, np.int64)
    dist = np.full(len(who), np.inf)
    comm = pop.community[who]
    order = np.arange(len(who)) if np.all(comm[1:] >= comm[:-1]) else np.argsort(comm, kind="stable")
    sorted_comm = comm[order]
    for k in np.flatnonzero(c.is_open(model.day)):
        lo, hi = np.searchsorted(sorted_comm, [c.community[k], c.community[k] + 1])
        rows = order[lo:hi]
        r = who[rows]
        d = np.hypot(pop.x[r] - c.x[k], pop.y[r] - c.y[k]) / 1000.0
        closer = d < dist[rows]
        best[rows[closer]], dist[rows[closer]] = k, d[closer]
    return best, dist


def choose_lunch(model: GovModel) -> None:
    """The daily lunch choice and the canteens' walk-in meals (keyed by resident and day)."""
    p, c = model.params, model.canteens
    who = model.diner_rows
    s, day = model.streams, model.day  # keyed by resident and day: choice, queue place, second choice
    k, price, base, groups, ids = _diner_terms(model)
    draws = (
        s.uniform("meal_choice", ids, day),
        s.uniform("meal_queue", ids, day),
        s.uniform("meal_second", ids, day),
    )
    last = model.meal_choice[who]
    u = base.copy()
    for j in range(4):  # habit: yesterday's choice
        np.add(u[j], p.meal_habit_weight, out=u[j], where=last == j)
    choice = _logit_choice(u, draws[0])
    turned = _apply_capacity(model, choice, k, draws[1])
    if turned.any():
        rest = u[:, turned]
        rest[Meal.CANTEEN] = -np.inf  # by IIA the next choice is a logit over the rest
        choice[turned] = _logit_choice(rest, draws[2][turned])
    model.meal_choice[who] = choice
    _log_skips(model, who, choice, groups)
    eat = choice == Meal.CANTEEN
    _book_walkins(model, who[eat], k[eat], price[eat], np.bincount(k[turned], minlength=c.n))


def _diner_terms(model: GovModel):
    """Each diner's canteen (0 if none), price there, utilities before habit (one row per
    alternative), reporting-group membership and district-wide id.

    They change only when the diners, their nearest canteens, the peer shares, the
    parameters, the canteens' terms or the groups change, so they are kept until then.
    """
    p, pop, c = model.params, model.pop, model.canteens
    who, near, dist = model.diner_rows, model.diner_canteen, model.diner_distance
    peers = model.canteen_peer_share
    key = (who, near, dist, peers, p)
    terms = (list(c.price), list(c.discount), list(c.quality), model.group_version)
    cached = getattr(model, "_lunch_cache", None)
    if cached is not None and all(a is b for a, b in zip(cached[0], key, strict=True)) and cached[1] == terms:
        return cached[2]
    has = near >= 0
    k = np.where(has, near, 0)
    price = np.asarray(c.price + [0.0])[k] * np.where(
        pop.elder[who], 1 - np.asarray(c.discount + [0.0])[k], 1.0
    )
    quality = np.asarray(c.quality + [0.0])[k]
    income = pop.income_band[who]
    u = np.empty((4, len(who)))  # one row per alternative: the logit works on whole rows
    u[Meal.COOK] = np.where(pop.cooks_self[who], p.meal_cook_preference, -np.inf)
    u[Meal.CANTEEN] = np.where(
        has,
        p.meal_canteen_preference
        - p.meal_price_weight * price / (1.0 + 0.5 * income)
        + 2.0 * (quality - 0.5)
        - p.meal_distance_weight * dist
        + p.meal_peer_weight * peers[who],
        -np.inf,
    )
    u[Meal.TAKEAWAY] = p.meal_takeaway_preference - p.meal_price_weight * p.takeaway_price / (
        1.0 + 0.5 * income
    )
    u[Meal.SKIP] = p.meal_skip_preference
    groups = [model.group_masks[g][who] for g in GROUPS[1:]]
    model._lunch_cache = (key, terms, (k, price, u, groups, pop.uid[who]))
    return model._lunch_cache[2]


def _log_skips(model: GovModel, who: np.ndarray, choice: np.ndarray, groups: list[np.ndarray]) -> None:
    """Count, per reporting group, diners who do not cook and those of them who went
    without a proper lunch today (an unmet meal need). ``groups``: the diners' membership
    of each group but the first (everyone)."""
    no_cook = ~model.pop.cooks_self[who]
    skipped = no_cook & (choice == Meal.SKIP)
    log = model.meal_log
    if model.day >= len(log):
        model.meal_log = log = np.concatenate([log, np.zeros_like(log)])
    log[model.day, 0] = (np.count_nonzero(no_cook), np.count_nonzero(skipped))  # everyone
    for j, mask in enumerate(groups, 1):
        log[model.day, j] = (np.count_nonzero(no_cook & mask), np.count_nonzero(skipped & mask))


def _logit_choice(u: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Multinomial-logit choice per column of utilities ``u`` (alternatives x choosers)
    with one uniform per chooser: the number of cumulative weights at or below the draw."""
    cum = u - u.max(axis=0)
    np.exp(cum, out=cum)
    for j in range(1, len(cum)):
        np.add(cum[j - 1], cum[j], out=cum[j])
    point = draw * cum[-1]
    choice = (point >= cum[0]).astype(np.int64)
    for j in range(1, len(cum)):
        choice += point >= cum[j]
    return choice


def _apply_capacity(model: GovModel, choice, k, priority) -> np.ndarray:
    """Turn away canteen diners beyond seats × sittings, lowest priority first."""
    cap = model.canteens.capacity()
    want = np.flatnonzero(choice == Meal.CANTEEN)
    turned = np.zeros(len(choice), bool)
    # Only canteens with more takers than places turn anyone away: rank only their takers.
    full = np.bincount(k[want], minlength=len(cap)) - 1 >= cap
    want = want[full[k[want]]]
    if len(want) == 0:
        return turned
    order = want[np.lexsort((-priority[want], k[want]))]
    ks = k[order]
    rank = np.arange(len(order)) - np.searchsorted(ks, ks, "left")
    turned[order[rank >= cap[ks]]] = True
    return turned


def _book_walkins(model: GovModel, eaters, k, paid, turned_away) -> None:
    c, pop = model.canteens, model.pop
    n = c.n
    model.last_canteen_day[eaters] = model.day
    today = {
        "meals_walkin": np.bincount(k, minlength=n).astype(float),
        "meals_60plus": np.bincount(k, pop.elder[eaters], n),
        "meals_elderly_alone": np.bincount(k, pop.lives_alone[eaters], n),
        "turned_away": turned_away.astype(float),
        "revenue": np.bincount(k, paid, n),
    }
    model.canteen_today = today


def close_books(model: GovModel, delivered_to: np.ndarray) -> None:
    """Add today's delivered meals, costs and subsidy; close canteens past the loss tolerance.

    Args:
        model: the model.
        delivered_to: residents who had a meal delivered today (from the nearest canteen).
    """
    p, c, pop = model.params, model.canteens, model.pop
    n = c.n
    today = model.canteen_today
    k = model.canteen_of[delivered_to]
    ok = k >= 0
    k, got = k[ok], delivered_to[ok]
    model.last_canteen_day[got] = model.day
    price = np.asarray(c.price)[k] * np.where(pop.elder[got], 1 - np.asarray(c.discount)[k], 1.0)
    today["meals_delivered"] = np.bincount(k, minlength=n).astype(float)
    today["meals_60plus"] = today["meals_60plus"] + np.bincount(k, pop.elder[got], n)
    today["meals_elderly_alone"] = today["meals_elderly_alone"] + np.bincount(k, pop.lives_alone[got], n)
    today["revenue"] = today["revenue"] + np.bincount(k, price, n)
    meals = today["meals_walkin"] + today["meals_delivered"]
    is_open = c.is_open(model.day)
    today["subsidy"] = np.asarray(c.subsidy) * today["meals_60plus"]
    today["food_cost"] = p.canteen_food_cost * meals
    today["labour_cost"] = np.where(is_open, p.canteen_labour_day, 0.0)
    profit = today["revenue"] + today["subsidy"] - today["food_cost"] - today["labour_cost"]
    for i in range(n):
        c.balance[i] += float(profit[i])
        if is_open[i] and c.balance[i] < -p.canteen_loss_tolerance:
            c.closed[i] = model.day
            c.closed_for_losses[i] = True
    c.record(model.day, today)
    if not c.is_open(model.day).all() and (c.is_open(model.day) != is_open).any():
        model.refresh_meal_geography()
