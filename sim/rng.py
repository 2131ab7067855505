"""Named random streams derived from one run seed (common random numbers).

Each process of the model draws from its own stream, spawned from the run seed
and a stable hash of the stream's name. Changing how much one process draws
(more volunteers, another dispatch rule) therefore never shifts the numbers
another process sees: need arrivals stay identical across paired policies.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = (
    "population",
    "network",
    "needs",
    "orders",
    "grid",
    "dispatch",
    "service",
    "ties",
    "volunteers",
    "recruit",
    "units",
    "meals",
    "care",
    "care_needs",
    "jobs",
    "projects",
    "activities",
)


class Streams:
    """A lazily created :class:`numpy.random.Generator` per named process.

    Args:
        seed: the run seed (non-negative integer).
    """

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._gens: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in STREAMS:
            raise KeyError(f"unknown random stream {name!r}; declared: {', '.join(STREAMS)}")
        gen = self._gens.get(name)
        if gen is None:
            key = zlib.crc32(name.encode())
            gen = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(key,)))
            self._gens[name] = gen
        return gen
