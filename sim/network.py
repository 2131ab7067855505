"""The neighbourhood network: an edge list with weights, consolidated into CSR.

Ties are undirected and stored once (``u < v``). Kin ties (household members,
kin nearby) are permanent; neighbour ties (building, compound, friend-of-friend,
shared activity) lose weight every week they are not used and disappear at
zero. New ties are appended during the week and merged at the weekly
consolidation, so only the ties that change are touched (docs/design.md).
"""

from __future__ import annotations

import enum

import networkx as nx
import numpy as np

from .params import Params
from .population import Population


class TieKind(enum.IntEnum):
    """Why a tie exists."""

    HOUSEHOLD = 0
    KIN = 1
    BUILDING = 2
    COMPOUND = 3
    CLOSURE = 4
    ACTIVITY = 5


PERMANENT = (TieKind.HOUSEHOLD, TieKind.KIN)
KEY_BITS = 28  # district-wide resident ids are below 2**28 (193 communities << 20)


class TieNetwork:
    """Undirected weighted ties between residents.

    Args:
        n: number of residents.
        uid: district-wide id of each resident (default: the row); a tie's ``key``
            is built from its ends' ids, so it keys random draws the same way at
            every scale.
    """

    def __init__(self, n: int, uid: np.ndarray | None = None) -> None:
        self.n = n
        self.uid = np.arange(n, dtype=np.int64) if uid is None else np.asarray(uid, np.int64)
        self.u = np.empty(0, np.int32)
        self.v = np.empty(0, np.int32)
        self.w = np.empty(0, np.float32)
        self.kind = np.empty(0, np.int8)
        self.last_used = np.empty(0, np.int32)
        self.key = np.empty(0, np.int64)
        # The same ties sorted by (v, u), kept up to date, so the CSR needs no sort.
        self.vkey = np.empty(0, np.int64)
        self.vv = np.empty(0, np.int32)
        self.vu = np.empty(0, np.int32)
        self._pending: list[tuple[np.ndarray, np.ndarray, int, int]] = []
        self.places: dict[str, object] = {}  # residents by building and grid (weekly_ties)
        self.version = 0
        self.consolidate()

    # --- construction ---------------------------------------------------------
    def add(self, a: np.ndarray, b: np.ndarray, kind: TieKind, day: int = 0) -> None:
        """Queue ties a–b (self-loops dropped); merged at the next consolidation."""
        keep = a != b
        if keep.any():
            self._pending.append((a[keep], b[keep], int(kind), day))

    def consolidate(self) -> None:
        """Drop dead ties, merge queued ones into the sorted edge list, rebuild the CSR.

        Only the queued ties are sorted; they are matched against the existing
        (sorted, unique) keys and inserted in place, so a week costs O(E) plus
        the sort of what changed. A pair keeps its strongest kind (lowest enum),
        its highest weight and its latest use.
        """
        alive = self.w > 0
        if not alive.all():
            dead = self.v[~alive].astype(np.int64) * self.n + self.u[~alive]
            dead.sort()
            keep = np.ones(len(self.vkey), bool)
            keep[np.searchsorted(self.vkey, dead)] = False
            self.vkey, self.vv, self.vu = self.vkey[keep], self.vv[keep], self.vu[keep]
            self.u, self.v, self.w = self.u[alive], self.v[alive], self.w[alive]
            self.kind, self.last_used, self.key = self.kind[alive], self.last_used[alive], self.key[alive]
        if self._pending:
            self._merge(*self._pending_arrays())
        self._build_csr()
        self.version += 1

    def _pending_arrays(self):
        """Queued ties as sorted, unique (key, u, v, kind, last) arrays."""
        a = np.concatenate([p[0] for p in self._pending])
        b = np.concatenate([p[1] for p in self._pending])
        kind = np.concatenate([np.full(len(p[0]), p[2], np.int8) for p in self._pending])
        last = np.concatenate([np.full(len(p[0]), p[3], np.int32) for p in self._pending])
        self._pending.clear()
        u, v = np.minimum(a, b).astype(np.int32), np.maximum(a, b).astype(np.int32)
        key = self.pair_key(u, v)
        order = np.lexsort((kind, key))
        key, u, v, kind, last = key[order], u[order], v[order], kind[order], last[order]
        first = np.ones(len(key), bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        return key[first], u[first], v[first], kind[first], np.maximum.reduceat(last, starts)

    def _merge(self, key, u, v, kind, last) -> None:
        pos = np.searchsorted(self.key, key)
        hit = pos < len(self.key)
        hit[hit] = self.key[pos[hit]] == key[hit]
        at = pos[hit]
        self.w[at] = 1.0
        self.kind[at] = np.minimum(self.kind[at], kind[hit])
        self.last_used[at] = np.maximum(self.last_used[at], last[hit])
        new = ~hit
        key, u, v, kind, last = key[new], u[new], v[new], kind[new], last[new]
        into = _Insertion(pos[new], len(self.key))
        self.key, self.u, self.v = into(self.key, key), into(self.u, u), into(self.v, v)
        self.w = into(self.w, np.ones(len(key), np.float32))
        self.kind, self.last_used = into(self.kind, kind), into(self.last_used, last)
        vkey = v.astype(np.int64) * self.n + u
        order = np.argsort(vkey)
        vkey, u, v = vkey[order], u[order], v[order]
        into = _Insertion(np.searchsorted(self.vkey, vkey), len(self.vkey))
        self.vkey, self.vv, self.vu = into(self.vkey, vkey), into(self.vv, v), into(self.vu, u)

    def _build_csr(self) -> None:
        """CSR of both directions from the edges sorted by (u, v) and by (v, u): each resident
        lists the ties where it is ``u`` (by v), then those where it is ``v`` (by u)."""
        n, e = self.n, len(self.u)
        deg_u = np.bincount(self.u, minlength=n)
        deg_v = np.bincount(self.vv, minlength=n)
        cum_u, cum_v = np.cumsum(deg_u), np.cumsum(deg_v)
        self.indptr = np.zeros(n + 1, np.int64)
        np.add(cum_u, cum_v, out=self.indptr[1:])
        self.indices = np.empty(2 * e, np.int32)
        ids = np.arange(e)
        # A resident's u-side ties follow every tie of lower residents; its v-side ties
        # also follow its own u-side ones.
        cum_v -= deg_v
        self.indices[ids + cum_v[self.u]] = self.v
        self.indices[ids + cum_u[self.vv]] = self.vu

    # --- queries ------------------------------------------------------------------
    def degree(self, kinds: tuple[TieKind, ...] | None = None) -> np.ndarray:
        """Ties per resident, optionally only of the given kinds."""
        mask = slice(None) if kinds is None else np.isin(self.kind, kinds)
        u, v = self.u[mask], self.v[mask]
        return np.bincount(u, minlength=self.n) + np.bincount(v, minlength=self.n)

    def degree_of_edges(self, edges: np.ndarray) -> np.ndarray:
        """Ties per resident counting only the given edge rows."""
        return np.bincount(self.u[edges], minlength=self.n) + np.bincount(self.v[edges], minlength=self.n)

    def pair_key(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Sort key of ties u–v (u < v): the ends' district-wide ids, in row order."""
        return (self.uid[u] << KEY_BITS) | self.uid[v]

    @classmethod
    def joined(cls, parts: list[TieNetwork], uid: np.ndarray) -> TieNetwork:
        """One network of residents ``uid`` from networks of consecutive row blocks."""
        net = cls(len(uid), uid)
        offsets = np.cumsum([0] + [p.n for p in parts])
        net.u = np.concatenate([p.u + off for p, off in zip(parts, offsets, strict=False)]).astype(np.int32)
        net.v = np.concatenate([p.v + off for p, off in zip(parts, offsets, strict=False)]).astype(np.int32)
        for name in ("w", "kind", "last_used"):
            setattr(net, name, np.concatenate([getattr(p, name) for p in parts]))
        net.key = net.pair_key(net.u, net.v)
        vkey = net.v.astype(np.int64) * net.n + net.u
        order = np.argsort(vkey)
        net.vkey, net.vv, net.vu = vkey[order], net.v[order], net.u[order]
        net.consolidate()
        return net

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Edge index of each pair a–b, or -1 where there is no consolidated tie."""
        key = self.pair_key(np.minimum(a, b), np.maximum(a, b))
        pos = np.searchsorted(self.key, key)
        pos = np.minimum(pos, len(self.key) - 1)
        found = (len(self.key) > 0) & (self.key[pos] == key) if len(self.key) else np.zeros(len(key), bool)
        return np.where(found, pos, -1)

    def neighbours(self, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (source position, neighbour) pairs for residents ``who``."""
        start, stop = self.indptr[who], self.indptr[who + 1]
        counts = stop - start
        src = np.repeat(np.arange(len(who)), counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return src, self.indices[np.repeat(start, counts) + offs]

    def touch(self, a: np.ndarray, b: np.ndarray, day: int, new_prob_u: np.ndarray, p_new: float) -> None:
        """Shared activity: refresh existing ties, create new ones with probability ``p_new``."""
        idx = self.find(a, b)
        hit = idx >= 0
        self.last_used[idx[hit]] = day
        self.w[idx[hit]] = 1.0
        new = ~hit & (new_prob_u < p_new)
        self.add(a[new], b[new], TieKind.ACTIVITY, day)

    def to_networkx(self, pop: Population | None = None, nodes: np.ndarray | None = None) -> nx.Graph:
        """A networkx copy for analysis and drawing, optionally restricted to ``nodes``."""
        g = nx.Graph()
        keep = np.arange(self.n) if nodes is None else np.asarray(nodes)
        inside = np.zeros(self.n, bool)
        inside[keep] = True
        for i in keep.tolist():
            attrs = {}
            if pop is not None:
                attrs = {
                    "community": int(pop.community[i]),
                    "grid": int(pop.grid[i]),
                    "building": int(pop.building[i]),
                }
            g.add_node(i, **attrs)
        sel = inside[self.u] & inside[self.v]
        for a, b, w, k in zip(self.u[sel], self.v[sel], self.w[sel], self.kind[sel], strict=True):
            g.add_edge(int(a), int(b), weight=float(w), kind=TieKind(int(k)).name.lower())
        return g


class _Insertion:
    """Inserting values at sorted positions ``at`` of arrays of length ``size`` (as ``np.insert``),
    with the destinations worked out once for several arrays."""

    def __init__(self, at: np.ndarray, size: int) -> None:
        self.dest = at + np.arange(len(at))
        self.old = np.ones(size + len(at), bool)
        self.old[self.dest] = False

    def __call__(self, arr: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.empty(len(self.old), arr.dtype)
        out[self.dest] = values
        out[self.old] = arr
        return out


def build_network(pop: Population, params: Params, streams) -> TieNetwork:
    """Household, kin, building, compound and friend-of-friend ties at day 0.

    Every tie is inside one community, so each community's ties are drawn from
    its own ``network`` stream (:meth:`sim.rng.Streams.local`) on its own rows.
    """
    bounds = np.searchsorted(pop.community, np.arange(len(pop.comm_id) + 1))
    parts = []
    for c, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        rng = streams.local("network", int(pop.comm_id[c]))
        parts.append(_community_network(_rows(pop, lo, hi), params, rng))
    return TieNetwork.joined(parts, pop.uid)


def _rows(pop: Population, lo: int, hi: int) -> Population:
    """The residents in rows lo..hi as a population of their own (place ids unchanged)."""
    cut = {f: getattr(pop, f) for f in Population.__dataclass_fields__}
    for name in ("household", "building", "grid", "community", "age", "elder", "empty_nest", "uid"):
        cut[name] = cut[name][lo:hi]
    return Population(**cut)


def _community_network(pop: Population, params: Params, rng: np.random.Generator) -> TieNetwork:
    net = TieNetwork(len(pop.age))
    _household_ties(net, pop)
    _kin_ties(net, pop, params, rng)
    older = np.flatnonzero(pop.age >= params.tie_min_age)
    for place, mean, kind in (
        (pop.building, params.building_ties_mean, TieKind.BUILDING),
        (pop.grid, params.compound_ties_mean, TieKind.COMPOUND),
    ):
        stubs = rng.poisson(mean / 2.0, len(older))  # each tie has two ends
        _local_ties(
            net, place, np.repeat(older, stubs), _by_place(place, older), kind, pop, rng.random(stubs.sum())
        )
    net.consolidate()
    for _ in range(params.closure_rounds):
        close_triads(
            net, rng.random(net.n) < params.closure_prob, rng.random(net.n), rng.random(net.n), day=0
        )
        net.consolidate()
    return net


def _household_ties(net: TieNetwork, pop: Population) -> None:
    hh = pop.household  # members of a household are contiguous rows
    for k in range(1, int(pop.hh_size.max(initial=1))):
        a = np.arange(pop.n - k)
        same = hh[a] == hh[a + k]
        net.add(a[same], a[same] + k, TieKind.HOUSEHOLD)


def _kin_ties(net: TieNetwork, pop: Population, params: Params, rng) -> None:
    """Empty-nest elders with a child's household elsewhere in the community."""
    elders = np.flatnonzero(pop.empty_nest & (rng.random(pop.n) < params.kin_nearby_prob))
    adults = np.flatnonzero((pop.age >= params.kin_min_age) & ~pop.elder)
    if len(elders) == 0 or len(adults) == 0:
        return
    a_comm = pop.community[adults]
    order = np.argsort(a_comm, kind="stable")
    adults, a_comm = adults[order], a_comm[order]
    lo = np.searchsorted(a_comm, pop.community[elders], "left")
    hi = np.searchsorted(a_comm, pop.community[elders], "right")
    ok = hi > lo
    pick = lo[ok] + (rng.random(ok.sum()) * (hi[ok] - lo[ok])).astype(np.int64)
    net.add(elders[ok], adults[pick], TieKind.KIN)


def _by_place(place: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``targets`` ordered by place (stable), and their places."""
    order = np.argsort(place[targets], kind="stable")
    return targets[order], place[targets][order]


def _local_ties(net, place, src, by_place, kind, pop, u) -> None:
    """Each entry of ``src`` starts a tie to a random target in the same place.

    ``by_place`` holds the targets ordered by place and their places (:func:`_by_place`);
    ``u`` holds one uniform per entry of ``src`` (which target).
    """
    members, member_place = by_place
    lo = np.searchsorted(member_place, place[src], "left")
    hi = np.searchsorted(member_place, place[src], "right")
    has = hi > lo
    src, lo, hi, u = src[has], lo[has], hi[has], u[has]
    dst = members[lo + (u * (hi - lo)).astype(np.int64)]
    other_hh = pop.household[src] != pop.household[dst]
    net.add(src[other_hh], dst[other_hh], kind)


def close_triads(net: TieNetwork, chosen: np.ndarray, u_mid: np.ndarray, u_far: np.ndarray, day: int) -> None:
    """Friend-of-friend closure: each ``chosen`` resident meets a random neighbour's random neighbour.

    Args:
        chosen: boolean per resident; ``u_mid``/``u_far``: one uniform per resident
            picking the neighbour and the neighbour's neighbour.
    """
    deg = np.diff(net.indptr)
    who = np.flatnonzero((deg > 0) & chosen)
    if len(who) == 0:
        return
    mid = net.indices[net.indptr[who] + (u_mid[who] * deg[who]).astype(np.int64)]
    far = net.indices[net.indptr[mid] + (u_far[who] * deg[mid]).astype(np.int64)]
    net.add(who, far, TieKind.CLOSURE, day)


def weekly_ties(net: TieNetwork, pop: Population, params: Params, streams, day: int) -> None:
    """One week of tie dynamics: ties that end, casual use, decay, new acquaintances, closure.

    Draws are keyed by tie and by resident (:meth:`sim.rng.Streams.uniform`), so a
    change elsewhere in the model never reshuffles who meets whom here.
    """
    casual = net.kind > max(PERMANENT)  # HOUSEHOLD and KIN ties never fade
    weekly_end = 1.0 - (1.0 - params.tie_dissolve_year) ** (7.0 / 365.0)
    ended = casual & (streams.uniform("tie_end", net.key, day) < weekly_end)
    net.w[ended] = 0.0  # dropped at the consolidation below
    casual &= ~ended
    used = casual & (streams.uniform("tie_use", net.key, day) < params.tie_use_week)
    np.copyto(net.last_used, day, where=used)
    np.copyto(net.w, 1.0, where=used)
    fading = casual & (net.last_used <= day - 7)  # not used in the past week
    np.subtract(net.w, params.tie_decay_week, out=net.w, where=fading)
    older = np.flatnonzero(pop.age >= params.tie_min_age)
    who = older[streams.uniform("tie_new", pop.uid[older], day) < params.tie_formation_week]
    in_building = streams.uniform("tie_place", pop.uid[who], day) < params.tie_building_share
    pick = streams.uniform("tie_pick", pop.uid[who], day)
    b, g = who[in_building], who[~in_building]
    # Residents do not move or age during a run: who lives where is sorted once.
    cached = net.places
    if cached.get("older") is None or not np.array_equal(cached["older"], older):
        cached.update(older=older, building=_by_place(pop.building, older), grid=_by_place(pop.grid, older))
    _local_ties(net, pop.building, b, cached["building"], TieKind.BUILDING, pop, pick[in_building])
    _local_ties(net, pop.grid, g, cached["grid"], TieKind.COMPOUND, pop, pick[~in_building])
    chosen = streams.uniform("closure", pop.uid, day) < params.tie_formation_week
    close_triads(net, chosen, streams.uniform("closure_mid", pop.uid, day),
                 streams.uniform("closure_far", pop.uid, day), day)  # fmt: skip
    net.consolidate()


def clustering_sample(net: TieNetwork, max_nodes: int = 3000) -> float:
    """Mean local clustering over every k-th resident (k chosen to visit <= max_nodes).

    Residents with fewer than two ties count as zero, as in networkx's
    ``average_clustering``.
    """
    nodes = np.arange(0, net.n, max(1, net.n // max_nodes))
    src, nb = net.neighbours(nodes)
    deg = np.bincount(src, minlength=len(nodes))
    start = np.repeat(np.cumsum(deg) - deg, deg)
    pos = np.arange(len(src)) - start
    reps = deg[src] - pos - 1  # pair each neighbour with the later ones
    first = np.repeat(np.arange(len(src)), reps)
    second = first + np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps) + 1
    linked = net.find(nb[first], nb[second]) >= 0
    tri = np.bincount(src[first], linked, minlength=len(nodes))
    pairs = deg * (deg - 1) / 2.0
    local = np.where(pairs > 0, tri / np.maximum(pairs, 1), 0.0)
    return float(local.mean()) if len(local) else float("nan")
