"""The calibration's record and document: provenance of the posterior file, docs/calibration.md
and its figures, all generated from the numbers of a run (never typed by hand).

:func:`provenance` condenses a finished :class:`sim.history.Calibration` into the provenance
stored with the posterior (:func:`sim.posterior.write`); :func:`write` turns a loaded posterior
into ``docs/calibration.md`` and ``docs/figures/calibration-*.png``, so
``python -m sim.calibration --docs-only`` rewrites the document from the stored file alone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import history, priors
from .params import Params
from .versions import source_commit

METHOD = (
    "history matching with Gaussian-process emulators (scikit-learn GaussianProcessRegressor), "
    "then ABC rejection of candidates drawn from the not-ruled-out-yet space against the target ranges"
)
QUANTILES = (5, 50, 95)  # the posterior predictive range and median, in per cent


def _q(values, qs=QUANTILES) -> list[float]:
    v = np.asarray([x for x in values if math.isfinite(x)], float)
    return [float(x) for x in np.percentile(v, qs)] if len(v) else [math.nan] * len(qs)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def provenance(cal: history.Calibration, rows: list[dict], defaults_seeds: int, wall: float, command: str):
    """The provenance stored with the posterior: method, patterns, tolerances, seed, commit,
    budget, per-wave figures and the diagnostics docs/calibration.md is generated from."""
    from importlib.metadata import version

    from .calibration import CALIBRATED, OWN_SETTINGS, TARGETS

    s = cal.setup
    table = priors.load_priors()
    years = s.years
    run_days = s.base.spinup_days + s.days
    n_default = 2 * defaults_seeds if rows else 0
    default_days = Params().spinup_days + 365
    runs = len(cal.replicates) + len(cal.design) + len(cal.final)
    targets = {t.name: t for t in TARGETS}
    pats, diag = [], {}
    for t in TARGETS:
        p = next((p for p in s.patterns if p.name == t.name), None)
        pats.append(
            {
                "name": t.name,
                "what": t.what,
                "source": t.source,
                "lo": t.lo,
                "hi": t.hi,
                "matched": bool(p is not None and p.matched),
                "note": (p.restates if p is not None else OWN_SETTINGS),
            }
        )
    wave1 = [d["result"] for d in cal.design[: s.wave_runs[0]]]
    every = [d["result"] for d in cal.design] + [f["result"] for f in cal.final]
    for p in s.patterns:
        keys = [f"{p.name}.y{k}" for k in range(1, years + 1)]

        def inside(r, keys=keys, p=p):
            return all(math.isfinite(r.get(k, math.nan)) and p.lo <= r[k] <= p.hi for k in keys)

        vals = [r.get(k, math.nan) for r in every for k in keys]
        finite = [v for v in vals if math.isfinite(v)]
        diag[p.name] = {
            "prior_range": [_finite(x) for x in _q([r.get(k, math.nan) for r in wave1 for k in keys])],
            "min": _finite(min(finite, default=math.nan)),
            "max": _finite(max(finite, default=math.nan)),
            "prior_share_in_range": float(np.mean([inside(r) for r in wave1])) if wave1 else None,
            "final_share_in_range": float(np.mean([inside(f["result"]) for f in cal.final])),
            "noise_sd": _finite(math.sqrt(cal.var_noise[p.name])) if p.name in cal.var_noise else None,
        }
    return {
        "method": METHOD,
        "patterns": pats,
        "seed": s.seed,
        "commit": source_commit(),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tolerances": {p.name: [p.lo, p.hi] for p in s.matched},
        "cutoff": s.cutoff,
        "runs": runs + n_default,
        "runs_by_stage": {
            "replicates": len(cal.replicates),
            "waves": len(cal.design),
            "ensemble_candidates": len(cal.final),
            "defaults_table": n_default,
            "made_now": cal.runs + n_default,
            "read_from_work_folder": cal.reused,
        },
        "community_years": round((runs * run_days + n_default * default_days) / 365, 1),
        "community_years_measured": round((runs * s.days + n_default * 365) / 365, 1),
        "wall_seconds": round(wall, 1),
        "spinup_days": s.base.spinup_days,
        "days": s.days,
        "years": years,
        "workers": s.workers,
        "command": command,
        "waves": cal.waves,
        "acceptance": cal.acceptance,
        "candidates": len(cal.final),
        "min_sets": s.min_sets,
        "calibrated": {
            n: {
                "dist": table[n].dist,
                "lo": table[n].lo,
                "hi": table[n].hi,
                "default": getattr(Params(), n),
                "why": CALIBRATED.get(n, "named on the command line"),
            }
            for n in s.names
        },
        "diagnostics": diag,
        "defaults_seeds": defaults_seeds if rows else 0,
        "defaults": [
            {
                "name": r["target"].name,
                "settings": dict(r["target"].settings),
                "mean": _finite(r["mean"]),
                "sd": _finite(r["sd"]),
                "min": _finite(r["min"]),
                "max": _finite(r["max"]),
                "match": bool(r["match"]),
            }
            for r in rows
        ],
        "constants": {
            "chunk": history.CHUNK,
            "candidate_batch": history.CANDIDATE_BATCH,
            "max_candidates": history.MAX_CANDIDATES,
            "fraction_points": history.FRACTION_POINTS,
        },
        "sklearn": version("scikit-learn"),
        "targets_unread": [n for n in targets if n not in diag],
    }


# --- the document ---------------------------------------------------------------------------------
def _f(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if x == 0:
        return "0"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def figures(post, folder: Path) -> list[Path]:
    """Marginal histograms and pairwise scatter plots of the calibrated parameters (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .runner import atomic_write

    names = list(post.parameters)
    cal = post.provenance["calibrated"]
    x = np.array([[float(s[n]) for n in names] for s in post.sets])
    k = len(names)
    cols = min(4, k)
    rows_ = math.ceil(k / cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(2.6 * cols, 2.0 * rows_), squeeze=False)
    for j, n in enumerate(names):
        ax = axes[j // cols][j % cols]
        ax.hist(x[:, j], bins=12, range=(cal[n]["lo"], cal[n]["hi"]), color="#4477aa")
        ax.axvline(cal[n]["default"], color="#cc3311", lw=1)
        ax.set_title(n, fontsize=8)
        ax.tick_params(labelsize=6)
    for j in range(k, rows_ * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle("posterior sets over each prior's range (red: default)", fontsize=9)
    fig.tight_layout()
    out = [Path(folder) / "calibration-marginals.png", Path(folder) / "calibration-pairs.png"]
    atomic_write(out[0], lambda p: fig.savefig(p, dpi=80, format="png"))
    plt.close(fig)
    fig, axes = plt.subplots(k, k, figsize=(1.3 * k, 1.3 * k), squeeze=False)
    for i in range(k):
        for j in range(k):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if i == j:
                ax.hist(x[:, j], bins=10, range=(cal[names[j]]["lo"], cal[names[j]]["hi"]), color="#4477aa")
            else:
                ax.scatter(x[:, j], x[:, i], s=2, color="#4477aa")
                ax.set_xlim(cal[names[j]]["lo"], cal[names[j]]["hi"])
                ax.set_ylim(cal[names[i]]["lo"], cal[names[i]]["hi"])
            if i == k - 1:
                ax.set_xlabel(names[j], fontsize=5)
            if j == 0:
                ax.set_ylabel(names[i], fontsize=5)
    fig.suptitle("pairs of calibrated parameters in the posterior (axes: prior ranges)", fontsize=8)
    atomic_write(out[1], lambda p: fig.savefig(p, dpi=72, format="png"))
    plt.close(fig)
    return out


def reach(prov: dict, name: str) -> str:
    """Whether the model reaches a matched pattern, in words, from the runs' diagnostics."""
    d, tol = prov["diagnostics"][name], prov["tolerances"][name]
    lo, hi = tol
    if d["min"] is None:
        return "no run gives a value"
    if d["max"] < lo or d["min"] > hi:
        side = "below" if d["max"] < lo else "above"
        return (
            f"**cannot reach**: every run lies {side} the target ({_f(d['min'])}–{_f(d['max'])}); "
            "no value of the calibrated parameters within their priors produces it, so the mechanism "
            "(or a parameter not calibrated here) sets it"
        )
    if d["final_share_in_range"] < 0.5:
        return (
            f"reached, and **binding**: only {d['final_share_in_range']:.0%} of the ensemble candidates "
            "match it; it rules out most of what the emulators left"
        )
    return f"reached ({d['final_share_in_range']:.0%} of the ensemble candidates match it)"


def to_markdown(post, figure_paths: list[Path], doc: Path) -> str:
    prov = post.provenance
    names = list(post.parameters)
    years = prov["years"]
    lines = [
        "# Calibration: a posterior ensemble by history matching",
        "",
        f"Generated by `{prov['command']}` on {prov['created'][:10]} at commit {prov['commit']}; "
        "do not edit by hand (`python -m sim.calibration --docs-only` rewrites it from "
        f"`sim/data/posterior.json`). The ensemble is `sim/data/posterior.json`: {len(post)} parameter "
        f"sets of {len(names)} calibrated parameters, every other parameter at its default.",
        "",
        "## Method, and why this one",
        "",
        "History matching with Gaussian-process emulators (Craig et al. 1997; Vernon, Goldstein & "
        "Bower 2010), in `sim/history.py`: waves of space-filling designs (a Latin hypercube of the "
        "unit cube of the priors' quantiles, `scipy.stats.qmc`) are run through the model; after each "
        "wave one Gaussian process per matched pattern (scikit-learn `GaussianProcessRegressor`, "
        "Matérn 5/2 with one length per parameter plus white noise, fitted to every run so far) "
        "predicts the pattern's mean over the measured years with its uncertainty, and a point is "
        "ruled out when for some pattern",
        "",
        "    I = |z − E[emulator]| / sqrt(Var_emulator + Var_noise + Var_target) > cut-off,",
        "",
        f"with z the centre of the target range, Var_target = (half-width / cut-off)² (a value known "
        f"exactly at the edge of the range has I = cut-off), Var_noise the larger of the variance "
        f"between seeds at the defaults and the emulator's fitted white noise, and cut-off = "
        f"{_f(prov['cutoff'])} (the usual three-sigma rule, Pukelsheim 1994), taking the maximum over "
        "the patterns and over every wave's emulators. Each later wave is drawn from the space not "
        "ruled out yet (NROY), by rejection of Latin-hypercube candidates through the emulators. After "
        "the last wave, candidates drawn from the NROY space are run, each on its own seed, and a set "
        "is kept when every matched pattern in every measured year lies in its target range (ABC "
        "rejection with the target ranges as a uniform kernel, restricted to the NROY space), in "
        f"batches until at least {prov['min_sets']} are kept or the budget of candidates is spent.",
        "",
        "Why not ABC-SMC (pyabc) or Optuna: a run costs seconds, the machine has 2 cores and the "
        "budget is an hour. The emulators rule out most of the prior with a few hundred runs, so the "
        "runs that remain are spent where sets can pass; ABC-SMC would spend tens of thousands of runs "
        "on rejected particles, and Optuna optimises a misfit, so its trials crowd at a best point and "
        "are not a sample of the plausible sets (docs/calibration-method.md has the comparison).",
        "",
        "## The calibrated parameters",
        "",
        "The parameter with the largest Morris mu\\* on each matched pattern in docs/screening.md "
        "(norm 1.00), plus quality_base, the only runner-up that large (0.89) on a pattern. Posterior "
        "quantiles over the accepted sets; the prior is sampled through its quantiles. Every other "
        "parameter stays at its default in every set: the ensemble carries the uncertainty of these "
        "parameters only, not the prior uncertainty of the other estimates.",
        "",
        "| parameter | screening (pattern: norm) | prior | default | posterior 5 % | median | 95 % |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in names:
        c = prov["calibrated"][n]
        q = _q([float(s[n]) for s in post.sets])
        lines.append(
            f"| {n} | {c['why']} | {c['dist']} {_f(c['lo'])}–{_f(c['hi'])} | {_f(c['default'])} "
            f"| {_f(q[0])} | {_f(q[1])} | {_f(q[2])} |"
        )
    lines += [
        "",
        "## The patterns",
        "",
        f"Each pattern is read over each of the {years} measured year(s) after the spin-up "
        f"(`metrics.report` over days [day0 + 365 (k − 1), day0 + 365 k − 1]), and must hold in every "
        "year; two of them are gaps between a group (elderly living alone) and everyone. *noise sd*: "
        "sd between seeds of the mean over the years, at the defaults.",
        "",
        "| pattern | measured as | source | target | in the match | noise sd |",
        "|---|---|---|---|---|---|",
    ]
    for p in prov["patterns"]:
        d = prov["diagnostics"].get(p["name"], {})
        match = "yes" if p["matched"] else f"no: {p['note']}"
        lines.append(
            f"| {p['name']} | {p['what']} | {p['source']} | {_f(p['lo'])}–{_f(p['hi'])} | {match} "
            f"| {_f(d.get('noise_sd'))} |"
        )
    rs = prov["runs_by_stage"]
    lines += [
        "",
        "## Budget and wall time",
        "",
        f"{prov['runs']:,} runs: {rs['replicates']} replicates at the defaults, {rs['waves']} in the "
        f"waves, {rs['ensemble_candidates']} ensemble candidates and {rs['defaults_table']} for the table "
        f"of the defaults below. Each calibration run is a spin-up of {prov['spinup_days']} days under its "
        f"own parameters and {prov['days']} measured days: {prov['community_years']:,} community-years "
        f"simulated in all ({prov['community_years_measured']:,} measured). Wall time "
        f"{prov['wall_seconds']:,.0f} s on {prov['workers']} worker process(es) "
        f"for the {rs['made_now']} runs made by this invocation"
        + (
            f"; the other {rs['read_from_work_folder']} were read back from the work folder, made by an "
            "earlier invocation with a smaller budget or stopped, whose time is not in this figure"
            if rs["read_from_work_folder"]
            else ""
        )
        + ". Every spin-up is computed afresh: a spun-up state is keyed by every parameter, so no two "
        "sets share one.",
        "",
        "## Waves",
        "",
        "*candidates*: Latin-hypercube points drawn to find the wave's points; *NROY among them*: how many "
        "passed the earlier waves' emulators; *NROY fraction*: the share of the whole prior cube left by "
        "the emulators after the wave (20,000 fixed points).",
        "",
        "| wave | runs | candidates | NROY among them | NROY fraction after it |",
        "|---|---|---|---|---|",
    ]
    for w in prov["waves"]:
        lines.append(
            f"| {w['wave']} | {w['runs']} | {w['candidates']:,} | {w['nroy_candidates']:,} "
            f"| {w['nroy_fraction']:.3g} |"
        )
    lines += [
        "",
        f"**Ensemble**: {len(post)} of {prov['candidates']} candidates kept (acceptance "
        f"{prov['acceptance']:.0%})"
        + (
            f", fewer than the {prov['min_sets']} wanted: the budget of candidates ran out."
            if len(post) < prov["min_sets"]
            else "."
        ),
        "",
        "## Each pattern against the posterior predictive range",
        "",
        "The accepted runs' 5–95 % range and median (each set on its own seed: parameter and seed "
        "uncertainty together), beside the prior predictive range (wave 1, the Latin hypercube of the "
        "whole prior).",
        "",
        "| pattern | year | target | posterior 5 % | median | 95 % | prior 5–95 % | reached? |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in prov["patterns"]:
        if p["name"] not in prov["diagnostics"]:
            continue
        d = prov["diagnostics"][p["name"]]
        for k in range(1, years + 1):
            q = _q([s.get(f"{p['name']}.y{k}", math.nan) for s in post.patterns])
            note = reach(prov, p["name"]) if p["matched"] else "not matched (restates an input)"
            pr = d["prior_range"]
            lines.append(
                f"| {p['name']} | {k} | {_f(p['lo'])}–{_f(p['hi'])} | {_f(q[0])} | {_f(q[1])} | {_f(q[2])} "
                f"| {_f(pr[0])}–{_f(pr[2])} | {note if k == 1 else '〃'} |"
            )
    lines += ["", "## What the model cannot reach, and what that says", ""]
    lines += _structure(prov)
    rel = [Path(p).relative_to(doc.parent) if Path(p).is_relative_to(doc.parent) else p for p in figure_paths]
    lines += [
        "",
        "## Posterior plots",
        "",
        "Marginals of the calibrated parameters over their prior ranges (the default in red):",
        "",
        f"![marginal posteriors]({rel[0]})",
        "",
        "Pairs (axes span each prior): a ridge or a corner empty of points is a trade-off or a region "
        "the patterns rule out.",
        "",
        f"![pairwise posteriors]({rel[1]})",
        "",
    ]
    lines += _defaults_section(prov)
    lines += _constants_section(prov)
    return "\n".join(lines) + "\n"


def _structure(prov: dict) -> list[str]:
    out = []
    diag = prov["diagnostics"]
    matched = [p for p in prov["patterns"] if p["matched"]]
    unreached = [p["name"] for p in matched if "cannot reach" in reach(prov, p["name"])]
    binding = sorted(
        (p["name"] for p in matched if p["name"] not in unreached),
        key=lambda n: diag[n]["final_share_in_range"],
    )
    if unreached:
        out.append(
            "Out of reach over the whole prior of the calibrated parameters: "
            + ", ".join(unreached)
            + ". Widening the calibration to more parameters, or a change of mechanism, is needed "
            "before these patterns can be matched; the ensemble is conditioned on the others only."
        )
    else:
        out.append(
            "Every matched pattern is reached by some runs within the priors of the calibrated "
            "parameters; none needs a mechanism the model lacks."
        )
    if binding:
        shares = ", ".join(f"{n} ({diag[n]['final_share_in_range']:.0%})" for n in binding[:3])
        out += [
            "",
            "The patterns that reject most ensemble candidates (share of candidates matching it): "
            f"{shares}. Where a pattern's noise sd is a large part of its target range, a set on a "
            "good point is still rejected on an unlucky seed: the acceptance there measures the "
            "model's stochasticity more than the parameters.",
        ]
    wide = [p["name"] for p in matched if (diag[p["name"]]["prior_share_in_range"] or 0.0) > 0.9]
    if wide:
        out += [
            "",
            "Patterns that more than 90 % of the prior design already matches, so they barely narrow "
            f"the parameters: {', '.join(wide)}. Their target ranges are wide against what the "
            "calibrated parameters move; the model is structurally inside them.",
        ]
    not_in = [p for p in prov["patterns"] if not p["matched"]]
    if not_in:
        out += [
            "",
            "Not in the match: "
            + "; ".join(f"{p['name']} ({p['note']})" for p in not_in)
            + ". A restated input says the wiring is right, not that the model is.",
        ]
    return out


def _defaults_section(prov: dict) -> list[str]:
    if not prov["defaults"]:
        return ["## Defaults against the patterns", "", "Not run this time (`--defaults-seeds 0`).", ""]
    spinup = Params().spinup_days
    lines = [
        "## Defaults against the patterns",
        "",
        f"The default parameters (with each pattern's settings) for 365 measured days after the "
        f"{spinup}-day spin-up, over seeds 0-{prov['defaults_seeds'] - 1}: mean, sd, range and whether "
        "the mean lies in the target.",
        "",
        "| pattern | settings | target | mean | sd | min-max | match |",
        "|---|---|---|---|---|---|---|",
    ]
    targets = {p["name"]: p for p in prov["patterns"]}
    for r in prov["defaults"]:
        t = targets[r["name"]]
        settings = ", ".join(f"{k}={v}" for k, v in r["settings"].items()) or "defaults"
        lines.append(
            f"| {r['name']} | {settings} | {_f(t['lo'])}-{_f(t['hi'])} | {_f(r['mean'])} | {_f(r['sd'])} "
            f"| {_f(r['min'])}-{_f(r['max'])} | {'yes' if r['match'] else 'NO'} |"
        )
    return [*lines, ""]


def _constants_section(prov: dict) -> list[str]:
    c = prov["constants"]
    return [
        "## Constants of the method",
        "",
        "| constant | value | unit | why |",
        "|---|---|---|---|",
        f"| cut-off | {_f(prov['cutoff'])} | implausibility (sd) | Pukelsheim's three-sigma rule: any "
        "unimodal distribution has ≥ 95 % of its mass within 3 sd; the usual choice in history matching |",
        "| Var_target | (half-width / cut-off)² | pattern units² | the target range is read as the "
        "interval a matching model output falls in; its edge is I = cut-off |",
        "| GP kernel | C · Matérn(ν = 5/2, one length per parameter) + white | – | smooth, not "
        "infinitely so (ABM outputs); lengths 0.01–100, amplitude 0.001–1000, white 1e-6–1 of the "
        "pattern's variance, 2 optimiser restarts (bounds wide enough not to bind on the unit cube) |",
        f"| chunk | {c['chunk']} | runs per checkpoint file | a stopped run loses at most one chunk |",
        f"| candidate batch | {c['candidate_batch']:,} | points | memory of one emulator prediction |",
        f"| candidates at most | {c['max_candidates']:,} | points per wave or batch | beyond it the "
        "least implausible candidates fill the wave (a tiny NROY space); the table of waves shows it |",
        f"| NROY fraction points | {c['fraction_points']:,} | points | ±0.4 pp standard error at 50 % |",
        "| quantiles | 5, 50, 95 | % | the posterior predictive range and median |",
        "",
    ]


def write(post, doc: Path, figure_folder: Path) -> None:
    """docs/calibration.md and its figures from a loaded posterior."""
    from .runner import atomic_write

    paths = figures(post, figure_folder)
    text = to_markdown(post, paths, Path(doc))
    atomic_write(Path(doc), lambda p: p.write_text(text, encoding="utf-8"))
