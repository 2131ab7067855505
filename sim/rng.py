"""Random numbers derived from one run seed (common random numbers).

Building the model draws from sequential streams, one per named process
(``population``, ``network``, ``units``, ``staff``) *and per community*: a generator
spawned from the run seed, a stable hash of the stream's name and the
community's index in the district. Community 42 is therefore the same set of
households, ties and units whether the model holds it alone or all 193
communities, and more draws in one process never shift another's.

Everything that happens while the model runs (a need arises, a grid worker
calls, a provider accepts, a tie is used) draws *keyed* uniforms instead: a
hash of the run seed, the decision's name and the ids of what it is about
(resident, need, provider, day), in the manner of counter-based generators
(Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"). Ids are
district-wide (a resident's id is its community's index and its place in that
community, see :attr:`sim.population.Population.uid`), so the same need gets the
same number in every scenario and at every scale; paired comparisons differ only
where the policy changed something.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = (
    "population",
    "network",
    "units",
    "staff",
)


# Keyed decisions of the shared processes; each service declares its own (``Service.keyed``).
KEYED = (
    "register",
    "register_active",
    "arrival",
    "grid_visit",
    "tie_end",
    "tie_use",
    "tie_new",
    "tie_place",
    "tie_pick",
    "closure",
    "closure_mid",
    "closure_far",
    "care_need",
    "month",
    "recruit",
    "drive",
    "recruit_active",
    "volunteer_hours",
    "volunteer_hours_angle",
    "volunteer_skill",
    "volunteer_motivation",
    "volunteer_motivation_angle",
    "informal",
    "order",
    "grid_detect",
    "adhoc",
    "free_today",
    "candidate",
    "score",
    "accept",
    "quality",
    "quality_angle",
    "service_tie",
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


_MASK = (1 << 64) - 1
_GOLDEN_INT = 0x9E3779B97F4A7C15


def _splitmix_int(x: int) -> int:
    """:func:`_splitmix` for one Python integer."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijective avalanche of 64-bit integers (in place; returns ``x``)."""
    tmp = np.empty_like(x)
    for shift, mul in ((_SHIFT30, _MIX1), (_SHIFT27, _MIX2)):
        np.right_shift(x, shift, out=tmp)
        x ^= tmp
        x *= mul
    np.right_shift(x, _SHIFT31, out=tmp)
    x ^= tmp
    return x


_SHIFT30, _SHIFT27, _SHIFT31, _SHIFT11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0
_CHUNK = 1 << 15  # long id arrays are hashed in cache-sized pieces


def _keyed_uniform(k: int, arrays: list[np.ndarray]) -> np.ndarray:
    """Uniforms from key ``k`` and the (broadcast) id ``arrays``: the top 53 bits of the last mix."""
    if len(arrays) == 1:
        x = arrays[0].astype(np.uint64)
        x *= _GOLDEN
        x ^= np.uint64(k)
        _splitmix(x)
    else:
        x = np.full(np.broadcast_shapes(*(np.shape(i) for i in arrays)), np.uint64(k), dtype=np.uint64)
        for i in arrays:
            x ^= i.astype(np.uint64) * _GOLDEN
            _splitmix(x)
    x >>= _SHIFT11
    return np.multiply(x, _TO_UNIT)


def _keyed_uniform_1d(k: int, ids: np.ndarray) -> np.ndarray:
    """:func:`_keyed_uniform` for one long 1-d id array, in pieces that stay in cache."""
    out = np.empty(len(ids))
    x, key = np.empty(min(len(ids), _CHUNK), np.uint64), np.uint64(k)
    for lo in range(0, len(ids), _CHUNK):
        part = x[: min(_CHUNK, len(ids) - lo)]
        part[...] = ids[lo : lo + _CHUNK]
        part *= _GOLDEN
        part ^= key
        _splitmix(part)
        part >>= _SHIFT11
        np.multiply(part, _TO_UNIT, out=out[lo : lo + len(part)], casting="unsafe")
    return out


class Streams:
    """Per-community build streams and keyed uniforms of one run.

    Args:
        seed: the run seed (non-negative integer).
    """

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._keys: dict[str, np.uint64] = {}
        self.keyed: set[str] = set(KEYED)

    def declare(self, names: tuple[str, ...], owner: str) -> None:
        """Declare the keyed decisions of a service; a name may belong to one owner only."""
        taken = self.keyed.intersection(names)
        if taken:
            raise ValueError(
                f"service '{owner}': keyed decisions already declared: {', '.join(sorted(taken))}"
            )
        self.keyed.update(names)

    def local(self, name: str, community: int, *ids: int) -> np.random.Generator:
        """The ``name`` stream of one community (its district index), optionally of one event.

        Each community is built from its own streams, so community 42 is the same
        community whether it is built alone or inside the whole district.
        """
        if name not in STREAMS:
            raise KeyError(f"unknown random stream {name!r}; declared: {', '.join(STREAMS)}")
        key = (zlib.crc32(name.encode()), 2, int(community), *(int(i) for i in ids))
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))

    def uniform(self, name: str, *ids) -> np.ndarray:
        """Keyed uniforms in [0, 1): one per element of the (broadcast) integer ``ids``.

        Args:
            name: the decision, one of :data:`KEYED` or a service's declared ones.
            ids: integer arrays or scalars (need id, day, provider ...).
        """
        key = self._keys.get(name)
        if key is None:
            if name not in self.keyed:
                raise KeyError(f"unknown keyed decision {name!r}; declared: {', '.join(sorted(self.keyed))}")
            seq = np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()), 1))
            key = self._keys[name] = np.uint64(seq.generate_state(1, dtype=np.uint64)[0])
        # Scalar ids (the day, a community) are folded into the key first, in Python
        # integers; then each array of ids costs one mixing pass.
        k = int(key)
        arrays = []
        for i in ids:
            if isinstance(i, np.ndarray) and i.ndim:
                arrays.append(i)
            elif isinstance(i, int) or np.ndim(i) == 0:
                k = _splitmix_int(k ^ ((int(i) * _GOLDEN_INT) & _MASK))
            else:
                arrays.append(np.asarray(i))
        with np.errstate(over="ignore"):  # 64-bit wrap-around is the point of the hash
            if len(arrays) == 1 and arrays[0].ndim == 1 and len(arrays[0]) > _CHUNK:
                return _keyed_uniform_1d(k, arrays[0])
            return _keyed_uniform(k, arrays)

    def normal(self, name: str, angle_name: str, *ids) -> np.ndarray:
        """Keyed standard normals (Box-Muller over two keyed uniforms)."""
        u1 = 1.0 - self.uniform(name, *ids)  # in (0, 1]
        u2 = self.uniform(angle_name, *ids)
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def poisson_from_uniform(lam: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson(lam) counts by inverting the CDF at uniforms ``u`` (keyed Poisson draws)."""
    lam = np.broadcast_to(np.asarray(lam, float), np.shape(u))
    k = np.zeros(np.shape(u), np.int64)
    p = np.exp(-lam)
    cdf = p.copy()
    todo = u >= cdf
    while todo.any():
        k[todo] += 1
        p = np.where(todo, p * lam / np.maximum(k, 1), p)
        cdf = np.where(todo, cdf + p, cdf)
        todo = todo & (u >= cdf) & (p > 1e-300)
    return k
