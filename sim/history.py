"""History matching with Gaussian-process emulators: which parameter sets reproduce the patterns.

The method (Craig et al. 1997; Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015) works in
the unit hypercube of the priors' quantiles (:func:`sim.priors.from_unit`), one axis per
calibrated parameter:

1. **Noise.** ``replicates`` runs at the base point on different seeds give each pattern's
   variance between seeds, ``Var_noise``.
2. **Waves.** Wave 1 runs a Latin hypercube of the whole cube; every later wave runs points drawn
   from the space not yet ruled out (NROY) by the waves before. After each wave one Gaussian
   process (scikit-learn, Matérn 5/2 with a length per axis, plus white noise) per matched pattern
   is fitted to every run so far, the pattern being the mean over the measured years.
3. **Implausibility.** For a point ``x`` and pattern ``p`` with target range ``[lo, hi]``::

       I_p(x) = |z_p - E[f_p(x)]| / sqrt(Var_emulator_p(x) + Var_noise_p + Var_target_p)

   with ``z_p`` the centre of the range and ``Var_target_p = (half-width / cutoff)^2``, so a
   model output known exactly at the edge of the range has ``I = cutoff``. ``Var_noise_p`` is the
   larger of the replicate variance and the white noise the emulator fitted. A point is NROY when
   ``max_p I_p(x) <= cutoff`` under every wave's emulators.
4. **Ensemble.** Points drawn from the final NROY space are run, each on its own seed, in batches
   of ``final_batch``; a set is kept when every matched pattern in every measured year lies in
   its target range (ABC rejection with a uniform kernel, inside the NROY space). Batches go on
   until ``min_sets`` are kept or ``max_final`` candidates have run.

Every design, seed and candidate draw comes from one seed (``numpy`` ``SeedSequence`` keyed by the
stage), so the same settings give the same runs and ensemble with any number of workers. Runs are
kept in a work folder, a file per chunk, written atomically and checked when read: a stopped
calibration resumes from them, and a damaged or foreign file is refused with one line.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import qmc

from . import i18n, priors
from .params import Params, plain

CHUNK = 30  # runs a checkpoint file holds (fixed, so the files do not depend on the workers)
CANDIDATE_BATCH = 4000  # candidates drawn at a time when sampling the NROY space
MAX_CANDIDATES = 200_000  # candidates drawn at most to find one wave's (or batch's) NROY points
FRACTION_POINTS = 20_000  # points of the Latin hypercube that estimate the NROY fraction
SCHEMA = "govsim-calibration-runs"


@dataclass(frozen=True)
class Pattern:
    """One calibration pattern as the history match uses it.

    Attributes:
        name: identifier; a run's values are ``<name>.y<k>`` for measured year ``k``.
        lo, hi: the target range (the tolerance of the final check).
        restates: why the pattern restates an input; such a pattern is recorded, not matched.
    """

    name: str
    lo: float
    hi: float
    restates: str = ""

    @property
    def matched(self) -> bool:
        return not self.restates

    @property
    def centre(self) -> float:
        return (self.lo + self.hi) / 2

    def var_target(self, cutoff: float) -> float:
        return ((self.hi - self.lo) / 2 / cutoff) ** 2


@dataclass
class Setup:
    """What to calibrate and how much to spend.

    Attributes:
        names: the calibrated parameters (each has a prior in sim/data/priors.toml).
        patterns: every pattern the reader returns (restatements included).
        reader: ``(model, days) -> {"<pattern>.y<k>": value}``: runs a spun-up model for the
            measured ``days`` and reads each year as it ends; a module-level function (pickled
            to workers).
        base: parameters of every run (spin-up length included) before the calibrated ones are set.
        days: measured days after the spin-up; years = days // 365 (at least 1).
        seed: the one seed of designs, candidate draws and model seeds.
        wave_runs: runs of each wave (its length is the number of waves).
        replicates: runs at the base point for the noise variance.
        cutoff: the implausibility cut-off.
        final_batch, min_sets, max_final: the ensemble's batch size, the sets wanted, the
            candidates run at most.
        work: the folder keeping every chunk of runs (None: nothing kept).
        workers: processes.
    """

    names: list[str]
    patterns: list[Pattern]
    reader: Callable
    base: Params
    days: int
    seed: int = 0
    wave_runs: list[int] = field(default_factory=lambda: [120, 100, 100])
    replicates: int = 10
    cutoff: float = 3.0
    final_batch: int = 120
    min_sets: int = 100
    max_final: int = 480
    work: Path | None = None
    workers: int = 1

    @property
    def years(self) -> int:
        return max(self.days // 365, 1)

    @property
    def matched(self) -> list[Pattern]:
        return [p for p in self.patterns if p.matched]

    def check(self) -> None:
        table = priors.load_priors()
        priors._names(self.names, table)  # one line for an unknown, fixed or repeated name
        if not self.names:
            raise i18n.error("apierr.calibration_no_params")
        if not self.wave_runs or any(n < 2 * len(self.names) + 2 for n in self.wave_runs):
            raise i18n.error("apierr.calibration_waves", runs=self.wave_runs)
        if self.replicates < 2 or self.final_batch < 1 or self.min_sets < 1 or self.max_final < 1:
            raise i18n.error("apierr.calibration_counts")
        if not self.matched:
            raise i18n.error("apierr.calibration_no_pattern")
        if not self.cutoff > 0:
            raise i18n.error("apierr.calibration_cutoff", value=self.cutoff)

    def key(self) -> str:
        """What a kept run's result depends on beyond its point and seed (which each chunk file
        records and is checked against): a work folder from other settings is refused. The
        budget, targets and cut-off only choose the points, so changing them reuses every run
        whose point and seed come out the same."""
        spec = {
            "names": self.names,
            "patterns": [p.name for p in self.patterns],
            "reader": f"{self.reader.__module__}.{self.reader.__qualname__}",
            "base": {k: plain(v) for k, v in self.base.__dict__.items()},
            "days": self.days,
            "seed": self.seed,
        }
        return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --- runs -----------------------------------------------------------------------------------------
def measure(job: tuple) -> dict[str, float]:
    """One run: build and spin up (``params.spinup_days``); the reader runs and reads ``days``."""
    from .model import GovModel

    params, seed, days, reader = job
    model = GovModel(params, seed, collect=False)
    return {k: float(v) for k, v in reader(model, days).items()}


def run_seed(seed: int, stage: int, i: int) -> int:
    """The model seed of run ``i`` of ``stage``: independent of workers and of other stages."""
    return int(np.random.SeedSequence([seed, stage, i]).generate_state(1)[0] & 0x7FFFFFFF)


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _chunk_path(work: Path, stage: str, k: int) -> Path:
    return work / f"{stage}-{k:03d}.json"


def _read_chunk(path: Path, key: str, plan: list) -> list[dict] | None:
    """The runs kept in ``path`` if it holds exactly ``plan`` (None when absent); InputError
    (one line) when it is damaged or comes from other settings."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        body = json.dumps(data["body"], sort_keys=True)
        ok = data["schema"] == SCHEMA and data["sha256"] == hashlib.sha256(body.encode()).hexdigest()
    except (OSError, ValueError, KeyError, TypeError) as err:
        why = type(err).__name__
        raise i18n.error("apierr.calibration_damaged", path=path, why=why) from None
    if not ok:
        raise i18n.error("apierr.calibration_damaged", path=path, why="checksum, schema")
    if data["body"]["key"] != key or data["body"]["plan"] != plan:
        raise i18n.error("apierr.calibration_other_settings", path=path)
    return [{k: (math.nan if v is None else v) for k, v in r.items()} for r in data["body"]["results"]]


def _write_chunk(path: Path, key: str, plan: list, results: list[dict]) -> None:
    from .runner import atomic_write

    body = {"key": key, "plan": plan, "results": [{k: _clean(v) for k, v in r.items()} for r in results]}
    text = json.dumps(
        {
            "schema": SCHEMA,
            "sha256": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest(),
            "body": body,
        }
    )
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


class Runner:
    """Runs points of the cube (rows of ``u``) in checkpointed chunks and counts what it spent."""

    def __init__(self, setup: Setup, progress: Callable[[int], None] | None = None):
        self.setup, self.progress = setup, progress
        self.key = setup.key()
        self.runs = 0
        self.reused = 0
        self.seconds = 0.0
        self.shown = 0  # runs of the current chunk already reported to ``progress``

    def _tick(self, done: int, _total: int) -> None:
        if self.progress:
            self.progress(done - self.shown)
        self.shown = done

    def params(self, u: np.ndarray) -> list[Params]:
        s = self.setup
        return priors.to_params(priors.from_unit(u, s.names), s.names, s.base)

    def __call__(
        self, stage: str, stage_no: int, u: np.ndarray, points: list[Params] | None = None
    ) -> tuple[list[dict], list[int]]:
        """Run the points ``u`` (or ``points``, recorded as ``u``) of ``stage``; results and seeds."""
        from .screening import execute

        s = self.setup
        seeds = [run_seed(s.seed, stage_no, i) for i in range(len(u))]
        points = self.params(u) if points is None else points
        results: list[dict] = []
        for k, start in enumerate(range(0, len(u), CHUNK)):
            idx = range(start, min(start + CHUNK, len(u)))
            plan = [[[float(x) for x in u[i]], seeds[i]] for i in idx]
            path = _chunk_path(s.work, stage, k) if s.work is not None else None
            kept = _read_chunk(path, self.key, plan) if path is not None else None
            if kept is None:
                t0 = time.perf_counter()
                jobs = [(points[i], seeds[i], s.days, s.reader) for i in idx]
                kept = execute(jobs, s.workers, self._tick, fn=measure)
                self.shown = 0
                self.seconds += time.perf_counter() - t0
                self.runs += len(jobs)
                if path is not None:
                    _write_chunk(path, self.key, plan, kept)
            else:
                self.reused += len(kept)
                if self.progress:
                    self.progress(len(kept))
            results += kept
        return results, seeds


# --- emulators ------------------------------------------------------------------------------------
def year_mean(result: dict[str, float], pattern: str, years: int) -> float:
    values = [result.get(f"{pattern}.y{k}", math.nan) for k in range(1, years + 1)]
    return float(np.mean(values))


@dataclass
class Emulator:
    """One Gaussian process per matched pattern, fitted in one wave."""

    gps: list
    shift: np.ndarray
    scale: np.ndarray
    white: np.ndarray  # each GP's fitted white-noise variance, in the pattern's units squared

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and latent variance (noise excluded), pattern x point."""
        means, variances = [], []
        for j, gp in enumerate(self.gps):
            m, sd = gp.predict(u, return_std=True)
            means.append(m * self.scale[j] + self.shift[j])
            variances.append(np.maximum(sd**2 * self.scale[j] ** 2 - self.white[j], 0.0))
        return np.array(means), np.array(variances)


def fit(u: np.ndarray, y: np.ndarray, seed: int) -> Emulator:
    """Fit one GP per column of ``y`` (runs x patterns; rows with NaN left out per pattern)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    d = u.shape[1]
    gps, shift, scale, white = [], [], [], []
    for j in range(y.shape[1]):
        ok = np.isfinite(y[:, j])
        yj = y[ok, j]
        mu, sd = float(yj.mean()), float(yj.std()) or 1.0
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            length_scale=np.full(d, 0.5), length_scale_bounds=(1e-2, 1e2), nu=2.5
        ) + WhiteKernel(0.1, (1e-6, 1.0))
        gp = GaussianProcessRegressor(kernel, n_restarts_optimizer=2, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(u[ok], (yj - mu) / sd)
        gps.append(gp)
        shift.append(mu)
        scale.append(sd)
        white.append(gp.kernel_.k2.noise_level * sd**2)
    return Emulator(gps, np.array(shift), np.array(scale), np.array(white))


def implausibility(
    emulator: Emulator, u: np.ndarray, patterns: Sequence[Pattern], var_noise: np.ndarray, cutoff: float
) -> np.ndarray:
    """I_p(x), pattern x point (see the module docstring)."""
    mean, var_em = emulator.predict(u)
    z = np.array([p.centre for p in patterns])[:, None]
    var_t = np.array([p.var_target(cutoff) for p in patterns])[:, None]
    noise = np.maximum(var_noise, emulator.white)[:, None]
    return np.abs(z - mean) / np.sqrt(var_em + noise + var_t)


def max_implausibility(
    emulators: Sequence[Emulator], u: np.ndarray, patterns, var_noise, cutoff: float
) -> np.ndarray:
    """The largest I over patterns and waves, per point."""
    worst = np.zeros(len(u))
    for e in emulators:
        worst = np.maximum(worst, implausibility(e, u, patterns, var_noise, cutoff).max(axis=0))
    return worst


def nroy_sample(
    emulators, n: int, d: int, rng: np.random.Generator, patterns, var_noise, cutoff: float
) -> tuple[np.ndarray, int, int]:
    """``n`` points of the NROY space by rejection from Latin hypercubes of the cube.

    Returns the points, the candidates drawn and how many were NROY. When fewer than ``n`` are
    found within :data:`MAX_CANDIDATES`, the least implausible candidates fill the rest.
    """
    found, drawn, best_u, best_i = [], 0, [], []
    while sum(len(f) for f in found) < n and drawn < MAX_CANDIDATES:
        cand = qmc.LatinHypercube(d=d, rng=rng).random(CANDIDATE_BATCH)
        worst = max_implausibility(emulators, cand, patterns, var_noise, cutoff)
        drawn += len(cand)
        found.append(cand[worst <= cutoff])
        best_u.append(cand)
        best_i.append(worst)
    nroy = np.concatenate(found) if found else np.empty((0, d))
    count = len(nroy)
    if count < n:
        pool, score = np.concatenate(best_u), np.concatenate(best_i)
        order = np.argsort(score, kind="stable")
        fill = pool[order[(score[order] > cutoff)][: n - count]]
        nroy = np.concatenate([nroy, fill])
    return nroy[:n], drawn, count


def nroy_fraction(emulators, d: int, seed: int, patterns, var_noise, cutoff: float) -> float:
    """Share of a fixed Latin hypercube of the cube that the emulators leave NROY."""
    rng = np.random.default_rng([seed, 9999])
    pts = qmc.LatinHypercube(d=d, rng=rng).random(FRACTION_POINTS)
    worst = np.concatenate(
        [
            max_implausibility(emulators, pts[i : i + CANDIDATE_BATCH], patterns, var_noise, cutoff)
            for i in range(0, len(pts), CANDIDATE_BATCH)
        ]
    )
    return float((worst <= cutoff).mean())


# --- the calibration ------------------------------------------------------------------------------
def accepted(result: dict[str, float], patterns: Sequence[Pattern], years: int) -> bool:
    """Every matched pattern in every measured year lies in its target range."""
    for p in patterns:
        if not p.matched:
            continue
        for k in range(1, years + 1):
            v = result.get(f"{p.name}.y{k}", math.nan)
            if not (math.isfinite(v) and p.lo <= v <= p.hi):
                return False
    return True


@dataclass
class Calibration:
    """A finished history match and its ensemble.

    Attributes:
        setup: how it was run.
        sets: the accepted parameter sets (values of ``setup.names``), with seeds and patterns.
        waves: per wave: runs, candidates drawn, NROY found among them, NROY fraction after it.
        var_noise: per matched pattern, the variance between seeds at the base point.
        replicates: the base point's runs.
        final: every ensemble candidate's run, with its unit point, seed and whether accepted.
        design: every wave run (unit point, result).
        runs, reused, seconds: runs made now, runs read back from the work folder, wall time.
    """

    setup: Setup
    sets: list[dict]
    seeds: list[int]
    patterns: list[dict]
    waves: list[dict]
    var_noise: dict[str, float]
    replicates: list[dict]
    final: list[dict]
    design: list[dict]
    runs: int
    reused: int
    seconds: float

    @property
    def acceptance(self) -> float:
        return len(self.sets) / len(self.final) if self.final else 0.0


def history_match(setup: Setup, progress: Callable[[int], None] | None = None) -> Calibration:
    """Run the waves and the ensemble of :class:`Setup` (see the module docstring)."""
    setup.check()
    t0 = time.perf_counter()
    runner = Runner(setup, progress)
    matched, d, years = setup.matched, len(setup.names), setup.years
    base_u = np.array([[_quantile(setup, n) for n in setup.names]])
    reps, _ = runner(
        "replicates", 0, np.repeat(base_u, setup.replicates, axis=0), [setup.base] * setup.replicates
    )
    var_noise = np.array([np.nanvar([year_mean(r, p.name, years) for r in reps], ddof=1) for p in matched])
    emulators: list[Emulator] = []
    us, ys, waves, design = [], [], [], []
    for w, n in enumerate(setup.wave_runs, 1):
        rng = np.random.default_rng([setup.seed, w])
        if w == 1:
            u, drawn, found = qmc.LatinHypercube(d=d, rng=rng).random(n), n, n
        else:
            u, drawn, found = nroy_sample(emulators, n, d, rng, matched, var_noise, setup.cutoff)
        results, _ = runner(f"wave{w}", w, u)
        design += [{"u": row.tolist(), "result": r} for row, r in zip(u, results, strict=True)]
        us.append(u)
        ys.append([[year_mean(r, p.name, years) for p in matched] for r in results])
        emulators.append(fit(np.concatenate(us), np.concatenate([np.array(y) for y in ys]), setup.seed + w))
        waves.append(
            {
                "wave": w,
                "runs": n,
                "candidates": drawn,
                "nroy_candidates": found,
                "nroy_fraction": nroy_fraction(emulators, d, setup.seed, matched, var_noise, setup.cutoff),
            }
        )
    final, sets, seeds, pats = [], [], [], []
    batch = 0
    while len(sets) < setup.min_sets and len(final) < setup.max_final:
        rng = np.random.default_rng([setup.seed, 100 + batch])
        size = min(setup.final_batch, setup.max_final - len(final))
        u, _, _ = nroy_sample(emulators, size, d, rng, matched, var_noise, setup.cutoff)
        results, run_seeds = runner(f"final{batch + 1}", 100 + batch, u)
        for row, point, seed, r in zip(u, runner.params(u), run_seeds, results, strict=True):
            ok = accepted(r, setup.patterns, years)
            final.append({"u": row.tolist(), "seed": seed, "result": r, "accepted": ok})
            if ok:
                sets.append({n: plain(getattr(point, n)) for n in setup.names})
                seeds.append(seed)
                pats.append({k: v for k, v in r.items() if math.isfinite(v)})
        batch += 1
    return Calibration(
        setup=setup,
        sets=sets,
        seeds=seeds,
        patterns=pats,
        waves=waves,
        var_noise={p.name: float(v) for p, v in zip(matched, var_noise, strict=True)},
        replicates=reps,
        final=final,
        design=design,
        runs=runner.runs,
        reused=runner.reused,
        seconds=time.perf_counter() - t0,
    )


def _quantile(setup: Setup, name: str) -> float:
    """The prior quantile of the base value of ``name`` (where the replicates run)."""
    p = priors.load_priors()[name]
    value = getattr(setup.base, name)
    grid = np.linspace(0, 1, 2001)
    return float(grid[np.argmin(np.abs(p.ppf(grid) - value))])
