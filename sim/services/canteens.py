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
from typing import TYPE_CHECKING

import numpy as np

from ..needs import OWN_MEANS, NeedState, NeedType
from ..population import ADULT_AGE, Employment
from ..schedule import WEEKLY, Phase
from ..window import GROUPS
from .base import Service
from .canteen_outcomes import CANTEEN_OUTCOMES

if TYPE_CHECKING:
    from ..model import GovModel
    from ..window import Window


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
TERMS = ("seats", "sittings", "price", "discount", "subsidy", "quality")


class Canteens(Service):
    """The canteens of the model (one row each, with daily books) and the diners' lunches.

    Facility columns (one entry per canteen ever opened): ``community``, ``x``, ``y``,
    the terms of :data:`TERMS`, ``opened``, ``closed`` (-1 while open),
    ``closed_for_losses``, ``balance``. Residents' columns: ``meal_choice`` (today's
    :class:`Meal`), ``peer_share`` (share of ties eating at the canteen),
    ``last_day`` (last canteen meal), ``canteen_of`` and ``km`` (nearest open
    canteen and its distance). ``meal_log``: per day and reporting group, diners who
    do not cook and those of them who skipped lunch.
    """

    name = "canteens"
    keyed = ("meal_choice", "meal_queue", "meal_second")
    outcomes = CANTEEN_OUTCOMES
    reacts = (
        "canteens.meal_choice",
        "canteens.diner_rows",
        "canteens.diner_canteen",
        "canteens.diner_distance",
    )

    def __init__(self, model: GovModel) -> None:
        super().__init__(model)
        n = model.pop.n
        self.community: list[int] = []
        self.x: list[float] = []
        self.y: list[float] = []
        for term in TERMS:
            setattr(self, term, [])
        self.opened: list[int] = []
        self.closed: list[int] = []
        self.closed_for_losses: list[bool] = []
        self.balance: list[float] = []
        self.books = {name: np.zeros((64, 4)) for name in ACCOUNT_COLUMNS}
        self.book_rows = 0  # books are kept every day from day 0: row i is day i
        self.today: dict[str, np.ndarray] = {}
        self.meal_choice = np.full(n, Meal.NONE, np.int8)
        self.peer_share = np.zeros(n)
        self.last_day = np.full(n, -1, np.int32)
        self.meal_log = np.zeros((400, 4, 2), np.int64)  # day x group x (diners not cooking, skipped)
        self.diner_rows = diners(model)
        for community in range(model.params.communities):
            for _ in range(model.params.canteens_per_community):
                self.open(community, refresh=False)
        self.refresh_geography()

    def phases(self) -> tuple[Phase, ...]:
        lunch = ("canteens", "pop", "groups", "params")
        return (
            Phase(
                "choose_lunch",
                self.choose_lunch,
                reads=lunch,
                writes=("canteens", "meals_missed"),
                after="arise_needs",
            ),  # fmt: skip
            Phase(
                "meals_by_own_means",
                self.meals_by_own_means,
                reads=("needs", "canteens.meal_choice"),
                writes=("needs",),
                after="choose_lunch",
            ),  # fmt: skip
            Phase(
                "canteen_books",
                self.close_books,
                reads=("canteens", "needs", "today.served", "params"),
                writes=("canteens", "meal_km"),
                after="serve",
            ),  # fmt: skip
            Phase(
                "canteen_peers",
                self.refresh_peers,
                WEEKLY,
                reads=("net", "tie_counts", "canteens.meal_choice"),
                writes=("canteens.peer_share",),
                after="tie_counts",
            ),  # fmt: skip
        )

    # --- the facility table ------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.community)

    def is_open(self, day: int) -> np.ndarray:
        opened = np.asarray(self.opened, int)
        closed = np.asarray(self.closed, int)
        return (opened <= day) & (closed < 0)

    def capacity(self) -> np.ndarray:
        return np.asarray(self.seats, float) * np.asarray(self.sittings, float)

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

    def open(self, community: int, refresh: bool = True, **overrides: float | None) -> int:
        """Open a canteen in ``community`` with the parameter defaults unless overridden.

        ``refresh=False`` skips recomputing every diner's nearest canteen (the caller does it once).
        """
        p, model = self.model.params, self.model
        terms = {
            "seats": p.canteen_seats,
            "sittings": p.canteen_sittings,
            "price": p.canteen_price,
            "discount": p.canteen_elder_discount,
            "subsidy": p.canteen_subsidy,
            "quality": p.canteen_quality,
        }
        terms.update({k: v for k, v in overrides.items() if v is not None})
        x, y = self.site_for_new(community)
        self.community.append(int(community))
        self.x.append(float(x))
        self.y.append(float(y))
        for name in TERMS:
            getattr(self, name).append(terms[name])
        self.opened.append(model.day)
        self.closed.append(-1)
        self.closed_for_losses.append(False)
        self.balance.append(0.0)
        if refresh:
            self.refresh_geography()
        return self.n - 1

    def close(self, k: int) -> None:
        """Close canteen ``k`` today (a policy ends); one closed for losses keeps its record."""
        if self.closed[k] < 0:
            self.closed[k] = self.model.day

    def site_for_new(self, community: int) -> tuple[float, float]:
        """Where a planner would put another canteen: the grid with the most people
        aged 60+ farther than 500 m from every open canteen (its residents' centroid)."""
        model = self.model
        pop = model.pop
        lo, hi = model.community_rows[community]
        elder = np.flatnonzero(pop.elder[lo:hi]) + lo
        far = np.ones(len(elder), bool)
        for k in np.flatnonzero(self.is_open(model.day) & (np.asarray(self.community) == community)):
            far &= (
                np.hypot(pop.x[elder] - self.x[k], pop.y[elder] - self.y[k])
                > model.params.canteen_catchment_m
            )
        pool = elder[far] if far.any() else elder
        grids, counts = np.unique(pop.grid[pool], return_counts=True)
        best = grids[np.argmax(counts)]  # ties go to the lowest grid number: deterministic
        members = pool[pop.grid[pool] == best]
        return float(pop.x[members].mean()), float(pop.y[members].mean())

    # --- who dines where ------------------------------------------------------------------
    def refresh_diners(self) -> None:
        """Who takes part in the lunch choice, and their nearest canteen.

        Residents who leave the choice (a job, a care level of 2+) have no lunch
        on record, so it neither counts for their ties nor meets their meal needs.
        """
        self.diner_rows = diners(self.model)
        left = np.ones(self.model.pop.n, bool)
        left[self.diner_rows] = False
        self.meal_choice[left] = Meal.NONE
        self.diner_canteen = self.canteen_of[self.diner_rows]
        self.diner_distance = self.km[self.diner_rows]

    def refresh_geography(self) -> None:
        """Nearest open canteen of every resident (after a canteen opens or closes)."""
        everyone = np.arange(self.model.pop.n)
        self.canteen_of, self.km = self.nearest(everyone)
        self.model.meal_km = self.km  # meal deliveries are fetched from the nearest canteen
        self.diner_canteen = self.canteen_of[self.diner_rows]
        self.diner_distance = self.km[self.diner_rows]

    def nearest(self, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest open canteen in each resident's community (-1 if none) and its distance in km."""
        pop = self.model.pop
        best = np.full(len(who), -1, np.int64)
        dist = np.full(len(who), np.inf)
        comm = pop.community[who]
        order = np.arange(len(who)) if np.all(comm[1:] >= comm[:-1]) else np.argsort(comm, kind="stable")
        sorted_comm = comm[order]
        for k in np.flatnonzero(self.is_open(self.model.day)):
            lo, hi = np.searchsorted(sorted_comm, [self.community[k], self.community[k] + 1])
            rows = order[lo:hi]
            r = who[rows]
            d = np.hypot(pop.x[r] - self.x[k], pop.y[r] - self.y[k]) / 1000.0
            closer = d < dist[rows]
            best[rows[closer]], dist[rows[closer]] = k, d[closer]
        return best, dist

    def refresh_peers(self, model: GovModel) -> None:
        """Share of each resident's ties who ate at a canteen at their last lunch."""
        net = model.net
        eats = self.meal_choice == Meal.CANTEEN
        peers = np.bincount(net.u[eats[net.v]], minlength=net.n)
        peers += np.bincount(net.v[eats[net.u]], minlength=net.n)
        self.peer_share = peers / np.maximum(model.all_ties, 1)

    def residents_changed(self) -> None:
        self.refresh_diners()

    def params_changed(self) -> None:
        self.refresh_diners()

    # --- the day's lunch ------------------------------------------------------------------
    def choose_lunch(self, model: GovModel) -> None:
        """The daily lunch choice and the canteens' walk-in meals (keyed by resident and day)."""
        p = model.params
        who = self.diner_rows
        s, day = model.streams, model.day  # keyed by resident and day: choice, queue place, second choice
        k, price, base, groups, ids = self._diner_terms()
        draws = (
            s.uniform("meal_choice", ids, day),
            s.uniform("meal_queue", ids, day),
            s.uniform("meal_second", ids, day),
        )
        last = self.meal_choice[who]
        u = base.copy()
        for j in range(4):  # habit: yesterday's choice
            np.add(u[j], p.meal_habit_weight, out=u[j], where=last == j)
        choice = _logit_choice(u, draws[0])
        turned = self._apply_capacity(choice, k, draws[1])
        if turned.any():
            rest = u[:, turned]
            rest[Meal.CANTEEN] = -np.inf  # by IIA the next choice is a logit over the rest
            choice[turned] = _logit_choice(rest, draws[2][turned])
        self.meal_choice[who] = choice
        self._log_skips(who, choice, groups)
        eat = choice == Meal.CANTEEN
        self._book_walkins(who[eat], k[eat], price[eat], np.bincount(k[turned], minlength=self.n))

    def _diner_terms(self):
        """Each diner's canteen (0 if none), price there, utilities before habit (one row per
        alternative), reporting-group membership and district-wide id.

        They change only when the diners, their nearest canteens, the peer shares, the
        parameters, the canteens' terms or the groups change, so they are kept until then.
        """
        model = self.model
        p, pop = model.params, model.pop
        who, near, dist = self.diner_rows, self.diner_canteen, self.diner_distance
        peers = self.peer_share
        key = (who, near, dist, peers, p)
        terms = (list(self.price), list(self.discount), list(self.quality), model.group_version)
        cached = getattr(self, "_lunch_cache", None)
        if (
            cached is not None
            and all(a is b for a, b in zip(cached[0], key, strict=True))
            and cached[1] == terms
        ):
            return cached[2]
        has = near >= 0
        k = np.where(has, near, 0)
        price = np.asarray(self.price + [0.0])[k] * np.where(
            pop.elder[who], 1 - np.asarray(self.discount + [0.0])[k], 1.0
        )
        quality = np.asarray(self.quality + [0.0])[k]
        income = pop.income_band[who]
        u = np.empty((4, len(who)))  # one row per alternative: the logit works on whole rows
        u[Meal.COOK] = np.where(pop.cooks_self[who], p.meal_cook_preference, -np.inf)
        u[Meal.CANTEEN] = np.where(
            has,
            p.meal_canteen_preference
            - p.meal_price_weight * price / (1.0 + p.meal_income_price_relief * income)
            + p.meal_quality_weight * (quality - p.meal_quality_reference)
            - p.meal_distance_weight * dist
            + p.meal_peer_weight * peers[who],
            -np.inf,
        )
        u[Meal.TAKEAWAY] = p.meal_takeaway_preference - p.meal_price_weight * p.takeaway_price / (
            1.0 + p.meal_income_price_relief * income
        )
        u[Meal.SKIP] = p.meal_skip_preference
        groups = [model.group_masks[g][who] for g in GROUPS[1:]]
        self._lunch_cache = (key, terms, (k, price, u, groups, pop.uid[who]))
        return self._lunch_cache[2]

    def _log_skips(self, who: np.ndarray, choice: np.ndarray, groups: list[np.ndarray]) -> None:
        """Count, per reporting group, diners who do not cook and those of them who went
        without a proper lunch today (an unmet meal need). ``groups``: the diners' membership
        of each group but the first (everyone)."""
        day = self.model.day
        no_cook = ~self.model.pop.cooks_self[who]
        skipped = no_cook & (choice == Meal.SKIP)
        self.model.meals_missed[who[skipped]] += 1  # raises their care risk (monthly_care)
        log = self.meal_log
        if day >= len(log):
            self.meal_log = log = np.concatenate([log, np.zeros_like(log)])
        log[day, 0] = (np.count_nonzero(no_cook), np.count_nonzero(skipped))  # everyone
        for j, mask in enumerate(groups, 1):
            log[day, j] = (np.count_nonzero(no_cook & mask), np.count_nonzero(skipped & mask))

    def _apply_capacity(self, choice, k, priority) -> np.ndarray:
        """Turn away canteen diners beyond seats × sittings, lowest priority first."""
        cap = self.capacity()
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

    def _book_walkins(self, eaters, k, paid, turned_away) -> None:
        pop, n = self.model.pop, self.n
        self.last_day[eaters] = self.model.day
        self.today = {
            "meals_walkin": np.bincount(k, minlength=n).astype(float),
            "meals_60plus": np.bincount(k, pop.elder[eaters], n),
            "meals_elderly_alone": np.bincount(k, pop.lives_alone[eaters], n),
            "turned_away": turned_away.astype(float),
            "revenue": np.bincount(k, paid, n),
        }

    def meals_by_own_means(self, model: GovModel) -> None:
        """Meal needs of residents who ate at the canteen or had takeaway today are met."""
        b = model.needs
        act = b.active
        meal = act[(b.type[act] == NeedType.MEAL) & (b.state[act] <= NeedState.OPEN)]
        lunch = self.meal_choice[b.resident[meal]]
        ate = (lunch == Meal.CANTEEN) | (lunch == Meal.TAKEAWAY)
        done = meal[ate]
        b.provider[done] = OWN_MEANS
        b.close(done, NeedState.DONE, model.day)

    def close_books(self, model: GovModel) -> None:
        """Add today's delivered meals (from the nearest canteen), costs and subsidy; close
        canteens past the loss tolerance."""
        served = model.today["served"]
        meals = served[model.needs.type[served] == NeedType.MEAL]
        delivered_to = model.needs.resident[meals]
        p, pop, n = model.params, model.pop, self.n
        today = self.today
        k = self.canteen_of[delivered_to]
        ok = k >= 0
        k, got = k[ok], delivered_to[ok]
        self.last_day[got] = model.day
        price = np.asarray(self.price)[k] * np.where(pop.elder[got], 1 - np.asarray(self.discount)[k], 1.0)
        today["meals_delivered"] = np.bincount(k, minlength=n).astype(float)
        today["meals_60plus"] = today["meals_60plus"] + np.bincount(k, pop.elder[got], n)
        today["meals_elderly_alone"] = today["meals_elderly_alone"] + np.bincount(k, pop.lives_alone[got], n)
        today["revenue"] = today["revenue"] + np.bincount(k, price, n)
        meals = today["meals_walkin"] + today["meals_delivered"]
        is_open = self.is_open(model.day)
        today["subsidy"] = np.asarray(self.subsidy) * today["meals_60plus"]
        today["food_cost"] = p.canteen_food_cost * meals
        today["labour_cost"] = np.where(is_open, p.canteen_labour_day, 0.0)
        profit = today["revenue"] + today["subsidy"] - today["food_cost"] - today["labour_cost"]
        for i in range(n):
            self.balance[i] += float(profit[i])
            if is_open[i] and self.balance[i] < -p.canteen_loss_tolerance:
                self.closed[i] = model.day
                self.closed_for_losses[i] = True
        self.record(model.day, today)
        if not self.is_open(model.day).all() and (self.is_open(model.day) != is_open).any():
            self.refresh_geography()

    # --- what the shared outcomes ask --------------------------------------------------------
    def reached(self, window: Window) -> np.ndarray:
        """Residents whose last canteen meal (walk-in or delivered) fell in the window."""
        return (self.last_day >= window.d0) & (self.last_day <= window.d1)

    def cost_yuan(self, window: Window) -> float:
        """The canteen subsidy paid in the window."""
        return float(self.table("subsidy")[max(window.d0, 0) : window.d1 + 1].sum())


def diners(model: GovModel) -> np.ndarray:
    """Residents in today's lunch choice: 60+ or adults not in work, who can walk."""
    pop = model.pop
    home = pop.elder | ((pop.age >= ADULT_AGE) & (pop.employment != Employment.EMPLOYED))
    return np.flatnonzero(home & (pop.care_level <= 1))


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
