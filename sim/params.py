"""Every model parameter, declared once with its unit, range and provenance.

Provenance tags (docs/sources.md): ``A`` = the 2025 Tiexi governance report,
``S`` = another published source (2020 census, volunteering surveys),
``E`` = an estimate that stays a parameter and is swept. Rates are per day
unless the unit says otherwise. Unknown keys, wrong types and out-of-range
values raise :class:`~sim.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import i18n

DISPATCH_RULES = ("closed_loop", "ad_hoc", "none")
UNIT_SHARING = ("subdistrict", "community")
DISTRICT_COMMUNITIES = 193  # Tiexi District's communities [A]
MAX_DAYS = 36_500  # 100 years; need keys hold the day in 21 bits (sim.needs)
BYTES_PER_RESIDENT = 1000  # a district-year peaks at ~0.9 KB a resident (docs/performance.md)
MEMORY_LIMIT_SHARE = 0.8  # a model may plan to use at most this share of the machine's memory
BASE_BYTES = 200 * 2**20
PERSONS_PER_HOUSEHOLD = 2.2  # with the default household mix (sizes memory estimates only)
HOUSEHOLD_MIX_TOLERANCE = 0.01  # the hh_* shares may miss 1 by this much (rng.choice renormalises)


def estimate_memory(communities: int, households_per_community: int) -> tuple[int, int]:
    """(expected residents, estimated peak bytes) of a model of that size."""
    residents = int(communities * households_per_community * PERSONS_PER_HOUSEHOLD)
    return residents, BASE_BYTES + residents * BYTES_PER_RESIDENT


# The ODD submodel a parameter belongs to (docs/ODD.md, section 7, in this order): the default
# model's phases in the order they run, the build steps and ``cost`` (the cost accounting).
EQUATIONS = (
    "policies",
    "new_year_budgets",
    "arise_needs",
    "choose_lunch",
    "meals_by_own_means",
    "informal_help",
    "residents_order",
    "grid_visits",
    "dispatch",
    "serve",
    "canteen_books",
    "expire",
    "start_training",
    "projects_progress",
    "joint_meeting",
    "winter_needs",
    "new_project_needs",
    "market_day",
    "weekly_classes",
    "weekly_ties",
    "tie_counts",
    "canteen_peers",
    "weekly_awareness",
    "month_draws",
    "volunteer_reviews",
    "unit_reviews",
    "recruitment",
    "monthly_drift",
    "month_reset",
    "monthly_care",
    "monthly_jobs",
    "build_population",
    "build_network",
    "build_providers",
    "build_services",
    "cost",
)
BUILD_STEPS = ("build_population", "build_network", "build_providers", "build_services")


def _p(
    default,
    unit: str,
    lo=None,
    hi=None,
    tag: str = "E",
    doc: str = "",
    choices=None,
    *,
    eq: str,
    build: bool = False,
    lever: str = "",
):
    """Declare one parameter field with its metadata.

    ``eq`` names the submodel whose equation reads it (one of :data:`EQUATIONS`);
    ``build`` marks a parameter read only when the model is built (:data:`BUILD_ONLY`);
    ``lever`` marks a policy lever and names the outcome it is meant to move.
    """
    if eq not in EQUATIONS:
        raise ValueError(i18n.t("apierr.submodel", eq=repr(eq), allowed=", ".join(EQUATIONS)))
    meta = {
        "unit": unit, "lo": lo, "hi": hi, "tag": tag, "doc": doc, "choices": choices,
        "eq": eq, "build": build, "lever": lever,
    }  # fmt: skip
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Params:
    """Model parameters with defaults for a Tiexi-like community (docs/sources.md)."""

    # --- structure -------------------------------------------------------
    communities: int = _p(
        1, "communities", 1, 193, "A", "communities built (193 = Tiexi)", eq="build_population", build=True
    )
    first_community: int = _p(
        0,
        "community index",
        0,
        192,
        "A",
        "district index of the first community built (Tiexi: 0-192)",
        eq="build_population",
        build=True,
    )
    subdistricts: int = _p(
        17,
        "subdistricts",
        1,
        193,
        "A",
        "subdistricts the district's communities fall in",
        eq="build_population",
        build=True,
    )
    households_per_community: int = _p(
        3165,
        "households",
        50,
        20000,
        "S",
        "~6,900 residents / 2.18 persons per household",
        eq="build_population",
        build=True,
    )
    households_per_grid: int = _p(
        200, "households", 20, 2000, "A", "urban grid size", eq="build_population", build=True
    )
    households_per_building: int = _p(
        20, "households", 2, 200, "S", "a 楼栋 building", eq="build_population", build=True
    )

    spinup_days: int = _p(
        730, "days", 0, 3650, "E",
        "simulated under the run's parameters before the measured window (policies start and outcomes "
        "count from its end); long enough that the measured years are stationary (docs/validation.md)",
        eq="policies",
    )  # fmt: skip

    # --- household mix (shares of households; must sum to 1) --------------
    hh_elder_alone: float = _p(
        0.07, "share", 0, 1, "E", "one person aged 60+", eq="build_population", build=True
    )
    hh_elder_couple: float = _p(
        0.10, "share", 0, 1, "E", "two people aged 60+ (empty nest)", eq="build_population", build=True
    )
    hh_elder_adult_child: float = _p(
        0.10, "share", 0, 1, "E", "elder(s) with an adult child", eq="build_population", build=True
    )
    hh_three_generation: float = _p(
        0.08, "share", 0, 1, "E", "elder(s), couple and a child", eq="build_population", build=True
    )
    hh_single_adult: float = _p(
        0.20, "share", 0, 1, "E", "one adult aged 18-59", eq="build_population", build=True
    )
    hh_couple: float = _p(0.15, "share", 0, 1, "E", "two adults, no child", eq="build_population", build=True)
    hh_couple_child: float = _p(
        0.22, "share", 0, 1, "E", "two adults and a child", eq="build_population", build=True
    )
    hh_single_parent: float = _p(
        0.08, "share", 0, 1, "E", "one adult and a child", eq="build_population", build=True
    )

    # --- people ----------------------------------------------------------
    migrant_household_share: float = _p(
        0.43,
        "share",
        0,
        1,
        "S",
        "working-age households that are migrant; gives ~26 % residents",
        eq="build_population",
        build=True,
    )
    unemployment_rate: float = _p(
        0.05, "share", 0, 0.5, "S", "urban unemployment", eq="build_population", build=True
    )
    inactive_share: float = _p(
        0.12,
        "share",
        0,
        0.8,
        "E",
        "working-age adults out of labour force",
        eq="build_population",
        build=True,
    )
    disabled_share_elderly: float = _p(
        0.11,
        "share",
        0,
        1,
        "S",
        "elderly disabled or semi-disabled (care level 2-3)",
        eq="build_population",
        build=True,
    )
    mild_care_share_elderly: float = _p(
        0.15,
        "share",
        0,
        1,
        "E",
        "elderly needing some help (care level 1)",
        eq="build_population",
        build=True,
    )
    non_cooking_share_elderly: float = _p(
        0.10,
        "share",
        0,
        1,
        "E",
        "able elderly who do not cook for themselves",
        eq="build_population",
        build=True,
    )
    initial_trust: float = _p(
        0.6, "0-1", 0, 1, "E", "mean trust in the committee at start", eq="build_population", build=True
    )
    initial_awareness: float = _p(
        0.5, "0-1", 0, 1, "E", "mean awareness of services at start", eq="build_population", build=True
    )
    migrant_trust_offset: float = _p(
        0.1,
        "0-1",
        0,
        1,
        "E",
        "migrants' mean initial trust is this much lower",
        eq="build_population",
        build=True,
    )
    trust_concentration: float = _p(
        8.0,
        "a+b of Beta",
        0.1,
        1000,
        "E",
        "concentration of the initial trust Beta draw",
        eq="build_population",
        build=True,
    )
    isolated_awareness_offset: float = _p(
        0.15,
        "0-1",
        0,
        1,
        "E",
        "migrants' and elders alone's mean initial awareness is this much lower",
        eq="build_population",
        build=True,
    )
    awareness_concentration: float = _p(
        6.0,
        "a+b of Beta",
        0.1,
        1000,
        "E",
        "concentration of the initial awareness Beta draw",
        eq="build_population",
        build=True,
    )
    beta_mean_clip: float = _p(
        0.02,
        "0-1",
        0,
        0.49,
        "E",
        "means of the trust and awareness draws are clipped to [this, 1 - this]",
        eq="build_population",
        build=True,
    )
    female_share: float = _p(
        0.5, "share", 0, 1, "E", "women among residents not living alone", eq="build_population", build=True
    )
    female_share_alone: float = _p(
        0.7,
        "share",
        0,
        1,
        "E",
        "women among elders living alone (widows outlive men)",
        eq="build_population",
        build=True,
    )
    second_elder_prob: float = _p(
        0.5,
        "probability",
        0,
        1,
        "E",
        "a second elder in elder + adult child and three-generation households",
        eq="build_population",
        build=True,
    )
    elder_age_mean_excess: float = _p(
        11.0,
        "years",
        0.1,
        40,
        "S",
        "elders are 60 + Exp(this) years old: ~63 % of them 65+ (census: 15.5 % / 24.5 %)",
        eq="build_population",
        build=True,
    )
    elder_age_max_excess: int = _p(
        40,
        "years",
        0,
        60,
        "E",
        "the oldest elders are 60 + this years old",
        eq="build_population",
        build=True,
    )
    care_age_slope: float = _p(
        0.08,
        "1/year",
        0,
        1,
        "E",
        "care risk rises as exp(this x age): doubles every ~9 years (at build and monthly)",
        eq="build_population",
    )
    disabled_level3_share: float = _p(
        0.4,
        "share",
        0,
        1,
        "E",
        "disabled elders at care level 3 (the others at level 2)",
        eq="build_population",
        build=True,
    )
    skill_low_share: float = _p(
        0.35, "share", 0, 1, "E", "residents of skill 0", eq="build_population", build=True
    )
    skill_mid_share: float = _p(
        0.45, "share", 0, 1, "E", "residents of skill 1", eq="build_population", build=True
    )
    skill_high_share: float = _p(
        0.20, "share", 0, 1, "E", "residents of skill 2", eq="build_population", build=True
    )
    migrant_skill_low_share: float = _p(
        0.5,
        "share",
        0,
        1,
        "E",
        "skill 0 in migrants' second draw (they keep the lower)",
        eq="build_population",
        build=True,
    )
    migrant_skill_mid_share: float = _p(
        0.4, "share", 0, 1, "E", "skill 1 in migrants' second draw", eq="build_population", build=True
    )
    migrant_skill_high_share: float = _p(
        0.1, "share", 0, 1, "E", "skill 2 in migrants' second draw", eq="build_population", build=True
    )
    income_low_base: float = _p(
        0.25, "probability", 0, 1, "E", "chance of the low income band", eq="build_population", build=True
    )
    income_low_alone: float = _p(
        0.25,
        "probability",
        0,
        1,
        "E",
        "added chance of low income for elders alone",
        eq="build_population",
        build=True,
    )
    income_low_migrant: float = _p(
        0.15,
        "probability",
        0,
        1,
        "E",
        "added chance of low income for migrants",
        eq="build_population",
        build=True,
    )
    income_low_unemployed: float = _p(
        0.3,
        "probability",
        0,
        1,
        "E",
        "added chance of low income for the unemployed",
        eq="build_population",
        build=True,
    )
    income_middle_share: float = _p(
        0.55,
        "probability",
        0,
        1,
        "E",
        "chance of the middle income band (the rest high)",
        eq="build_population",
        build=True,
    )
    grid_spacing_m: float = _p(
        350.0,
        "m",
        10,
        5000,
        "E",
        "distance between neighbouring grids' centres",
        eq="build_population",
        build=True,
    )
    community_spacing_m: float = _p(
        1800.0,
        "m",
        100,
        20000,
        "E",
        "distance between neighbouring communities' lattice points",
        eq="build_population",
        build=True,
    )
    building_jitter: float = _p(
        0.4,
        "x grid spacing",
        0,
        1,
        "E",
        "buildings lie uniformly within +- this of their grid's point",
        eq="build_population",
        build=True,
    )
    resident_jitter_m: float = _p(
        5.0,
        "m sd",
        0,
        100,
        "E",
        "spread of residents around their building",
        eq="build_population",
        build=True,
    )

    # --- neighbourhood network --------------------------------------------
    building_ties_mean: float = _p(
        1.5,
        "ties/person",
        0,
        20,
        "E",
        "ties to other households in the building",
        eq="build_network",
        build=True,
    )
    compound_ties_mean: float = _p(
        0.8, "ties/person", 0, 20, "E", "ties elsewhere in the grid/compound", eq="build_network", build=True
    )
    kin_nearby_prob: float = _p(
        0.3,
        "probability",
        0,
        1,
        "E",
        "empty-nest elder has kin in the community",
        eq="build_network",
        build=True,
    )
    closure_rounds: int = _p(
        2, "rounds", 0, 10, "E", "friend-of-friend closure rounds at build", eq="build_network", build=True
    )
    closure_prob: float = _p(
        0.25, "probability", 0, 1, "E", "chance per person per closure round", eq="build_network", build=True
    )
    kin_min_age: int = _p(
        25,
        "years",
        18,
        59,
        "E",
        "an elder's kin nearby is a non-elder resident this old or older",
        eq="build_network",
        build=True,
    )
    tie_use_week: float = _p(
        0.4, "probability/week", 0, 1, "E", "a neighbour tie is used in a week", eq="weekly_ties"
    )
    tie_decay_week: float = _p(
        0.1, "weight/week", 0, 1, "E", "weight lost by an unused non-kin tie", eq="weekly_ties"
    )
    tie_formation_week: float = _p(
        0.004, "probability/week", 0, 1, "E", "new acquaintance per person", eq="weekly_ties"
    )
    tie_dissolve_year: float = _p(
        0.3, "probability/year", 0, 1, "E",
        "a tie outside household and kin ends (a move, a falling-out) whether used or not",
        eq="weekly_ties",
    )  # fmt: skip
    tie_min_age: int = _p(
        12,
        "years",
        0,
        100,
        "E",
        "residents this old or older make neighbour ties (at build and weekly)",
        eq="weekly_ties",
    )
    tie_building_share: float = _p(
        0.5,
        "probability",
        0,
        1,
        "E",
        "a new acquaintance lives in the same building (else the same grid)",
        eq="weekly_ties",
    )
    service_tie_prob: float = _p(
        0.15, "probability", 0, 1, "E", "a completed service creates a tie", eq="serve"
    )

    # --- needs (arrival rates) ---------------------------------------------
    rate_repair: float = _p(
        1.0, "needs/household/year", 0, 50, "E", "home repair or home help", eq="arise_needs"
    )
    rate_care: float = _p(
        0.045,
        "needs/day per care level",
        0,
        1,
        "E",
        "care visits (level 1: one every ~3 weeks)",
        eq="arise_needs",
    )
    rate_meal: float = _p(
        0.03, "needs/day", 0, 1, "E", "meal delivery, elders who cannot cook", eq="arise_needs"
    )
    rate_tutoring: float = _p(
        0.005, "needs/day", 0, 1, "E", "tutoring, school-age children", eq="arise_needs"
    )
    rate_dispute: float = _p(0.3, "needs/household/year", 0, 20, "E", "neighbour disputes", eq="arise_needs")
    alone_repair_multiplier: float = _p(
        3.0, "x", 0, 20, "E", "repair need of elders living alone", eq="arise_needs"
    )
    migrant_tutoring_multiplier: float = _p(
        2.0, "x", 0, 20, "E", "tutoring need of migrant children", eq="arise_needs"
    )

    # --- ordering and the loop ---------------------------------------------
    order_base: float = _p(
        -4.0, "logit/day", -10, 10, "E", "baseline daily chance to order", eq="residents_order"
    )
    order_trust_weight: float = _p(
        2.0, "logit", 0, 10, "E", "effect of trust on ordering", eq="residents_order"
    )
    order_awareness_weight: float = _p(
        1.5, "logit", 0, 10, "E", "effect of awareness on ordering", eq="residents_order"
    )
    order_ties_weight: float = _p(
        0.5, "logit", 0, 10, "E", "effect of neighbour ties (0-5) on ordering", eq="residents_order"
    )
    order_household_weight: float = _p(
        0.5, "logit", 0, 10, "E", "someone at home helps to order", eq="residents_order"
    )
    order_ties_cap: int = _p(
        5, "ties", 1, 100, "E", "ties beyond this many add nothing to ordering", eq="residents_order"
    )
    elder_order_penalty: float = _p(
        1.0,
        "logit",
        0,
        10,
        "E",
        "people 60+ order less (app/phone ordering, not wanting to bother)",
        eq="residents_order",
    )
    order_wait_days: int = _p(7, "days", 1, 90, "E", "an undispatched order expires after this", eq="expire")
    hidden_lapse_days: int = _p(14, "days", 1, 180, "E", "an unreported need lapses after this", eq="expire")
    hours_repair: float = _p(
        1.5, "hours", 0.1, 24, "E", "provider time per repair / home help", eq="dispatch"
    )
    hours_care: float = _p(1.0, "hours", 0.1, 24, "E", "provider time per care visit", eq="dispatch")
    hours_meal: float = _p(0.5, "hours", 0.1, 24, "E", "provider time per meal delivery", eq="dispatch")
    hours_tutoring: float = _p(
        1.5, "hours", 0.1, 24, "E", "provider time per tutoring session", eq="dispatch"
    )
    hours_dispute: float = _p(2.0, "hours", 0.1, 24, "E", "provider time per mediation", eq="dispatch")
    repair_lag_days: int = _p(1, "days", 0, 30, "E", "accepted repair is done after this", eq="dispatch")
    neighbour_help_weight: float = _p(
        0.3, "kin-equivalents", 0, 1, "E", "a neighbour's help vs kin's", eq="tie_counts"
    )
    informal_help_prob: float = _p(
        0.04, "probability/day", 0, 1, "E", "kin/neighbours meet a hidden need", eq="informal_help"
    )
    informal_helpers_full: float = _p(
        3.0,
        "kin-equivalents",
        0.1,
        50,
        "E",
        "helpers at which informal help reaches its full chance",
        eq="informal_help",
    )
    informal_quality: float = _p(
        0.5, "0-1", 0, 1, "E", "quality recorded for a need met informally", eq="informal_help"
    )
    dispatch_rule: str = _p(
        "closed_loop",
        "rule",
        tag="A",
        doc="点单-派单-接单-评单 or weaker",
        choices=DISPATCH_RULES,
        eq="dispatch",
        lever="unmet_need_rate",
    )
    adhoc_dispatch_prob: float = _p(
        0.5, "probability/day", 0, 1, "E", "ad hoc: order handled today", eq="dispatch"
    )
    dispatch_candidates: int = _p(
        8, "providers", 1, 50, "E", "candidates considered per order", eq="dispatch"
    )
    service_quality_noise: float = _p(0.15, "0-1 sd", 0, 1, "E", "spread of service quality", eq="serve")
    quality_base: float = _p(
        0.45, "0-1", 0, 1, "E", "service quality at skill 0, motivation 0.5, no wait", eq="serve"
    )
    quality_skill_weight: float = _p(
        0.15, "0-1/skill level", 0, 1, "E", "quality per provider skill level", eq="serve"
    )
    quality_motivation_weight: float = _p(
        0.2, "0-1", 0, 1, "E", "quality per unit of provider motivation above 0.5", eq="serve"
    )
    quality_wait_penalty_day: float = _p(
        0.02, "0-1/day", 0, 0.5, "E", "quality lost per day waited", eq="serve"
    )
    rating_satisfied_threshold: float = _p(
        0.25, "0-1", 0, 1, "E", "true quality above which a rating says satisfied", eq="serve"
    )
    rating_two_stars_below: float = _p(
        0.3,
        "0-1",
        0,
        1,
        "E",
        "quality this far below the threshold still earns 2 stars (1 below it)",
        eq="serve",
    )
    rating_three_stars_below: float = _p(
        0.15, "0-1", 0, 1, "E", "quality this far below the threshold earns 3 stars", eq="serve"
    )
    rating_five_stars_above: float = _p(
        0.2, "0-1", 0, 1, "E", "quality this far above the threshold earns 5 stars (4 below it)", eq="serve"
    )
    rating_prior_stars: float = _p(
        4.0,
        "stars",
        1,
        5,
        "E",
        "the committee's rating estimate of a provider before any rating",
        eq="dispatch",
    )
    rating_prior_n: int = _p(
        2, "ratings", 1, 100, "E", "weight of that prior estimate, in pseudo-ratings", eq="dispatch"
    )
    satisfaction_update: float = _p(
        0.3, "weight", 0, 1, "E", "pull of one episode on satisfaction", eq="serve"
    )
    satisfaction_baseline: float = _p(0.7, "0-1", 0, 1, "E", "satisfaction with no needs", eq="monthly_drift")
    isolation_satisfaction_penalty: float = _p(
        0.15,
        "0-1",
        0,
        1,
        "E",
        "lower baseline satisfaction with no tie outside the household",
        eq="monthly_drift",
    )
    satisfaction_recovery_month: float = _p(
        0.1, "share/month", 0, 1, "E", "drift back to baseline", eq="monthly_drift"
    )
    trust_gain: float = _p(0.06, "trust/episode", 0, 1, "E", "good committee-arranged service", eq="serve")
    trust_loss: float = _p(0.08, "trust/episode", 0, 1, "E", "an order that expired unserved", eq="expire")
    trust_loss_lapsed: float = _p(
        0.03, "trust/episode", 0, 1, "E", "a need that lapsed unreported and unfound (neglect)", eq="expire"
    )
    trust_regression_month: float = _p(
        0.1,
        "share/month",
        0,
        1,
        "E",
        "trust drifts back toward the resident's day-0 trust",
        eq="monthly_drift",
    )
    trust_quality_reference: float = _p(
        0.4, "0-1", 0, 1, "E", "service quality above which trust rises, below which it falls", eq="serve"
    )
    lapsed_satisfaction: float = _p(
        0.2, "0-1", 0, 1, "E", "satisfaction a lapsed unreported need pulls toward", eq="expire"
    )
    awareness_gain_visit: float = _p(0.1, "awareness", 0, 1, "E", "a grid worker's visit", eq="grid_visits")
    awareness_gain_service: float = _p(0.2, "awareness", 0, 1, "E", "being served", eq="serve")
    awareness_forget_month: float = _p(
        0.1, "share/month", 0, 1, "E", "awareness fades without use", eq="monthly_drift"
    )
    awareness_diffusion_week: float = _p(
        0.05, "share/week", 0, 1, "E", "pull toward ties' awareness", eq="weekly_awareness"
    )

    # --- grid workers -------------------------------------------------------
    grid_workers_per_grid: float = _p(
        1.0, "workers/grid", 0, 10, "E", "网格员 per grid", eq="grid_visits", lever="hidden_need_rate"
    )
    grid_visits_per_worker_day: float = _p(
        4.0, "households/day", 0, 100, "E", "doorstep visits", eq="grid_visits", lever="hidden_need_rate"
    )
    grid_detect_prob: float = _p(
        0.7, "probability", 0, 1, "E", "a visit finds a hidden need", eq="grid_visits"
    )
    grid_vulnerable_weight: float = _p(
        2.0, "x", 1, 50, "E", "visit priority of elders alone", eq="grid_visits"
    )

    # --- volunteers -----------------------------------------------------------
    volunteer_registration: float = _p(
        0.10,
        "share of adults",
        0,
        1,
        "S",
        "registered volunteers",
        eq="build_providers",
        build=True,
        lever="unmet_need_rate",
    )
    volunteer_active_share: float = _p(
        0.30, "share", 0, 1, "S", "registered who are active", eq="build_providers", build=True
    )
    volunteer_hours_month: float = _p(
        4.5, "hours/month", 0, 200, "S",
        "hours a working-age volunteer offers; with retirees' multiplier and the spread, active "
        "volunteers offer ~7.3 h/month on average (CASS 2022; validation pattern)",
        eq="recruitment",
    )  # fmt: skip
    availability_multiplier: float = _p(
        1.0, "x", 1, 5, "E", "most hours a volunteer will give / preferred", eq="recruitment"
    )
    retiree_hours_multiplier: float = _p(2.0, "x", 0, 10, "E", "retirees give more hours", eq="recruitment")
    volunteer_dropout_year: float = _p(
        0.33, "probability/year", 0, 1, "S", "background dropout", eq="volunteer_reviews"
    )
    burnout_load: float = _p(
        1.3,
        "hours used/preferred",
        0.5,
        10,
        "E",
        "load above which burnout risk rises",
        eq="volunteer_reviews",
    )
    burnout_prob: float = _p(
        0.25, "probability/month", 0, 1, "E", "dropout chance when overloaded", eq="volunteer_reviews"
    )
    recognition: float = _p(
        0.5,
        "0-1",
        0,
        1,
        "E",
        "strength of the recognition scheme",
        eq="volunteer_reviews",
        lever="volunteers_active",
    )
    recruitment_month: float = _p(
        0.0037,
        "share of adults/month",
        0,
        0.2,
        "E",
        "new registrations (balances dropout at ~10 %)",
        eq="recruitment",
    )
    retiree_volunteer_weight: float = _p(
        2.0,
        "x",
        0,
        20,
        "E",
        "registration and recruitment chance of retirees (elders) relative to other adults",
        eq="recruitment",
    )
    recruit_active_share: float = _p(
        0.6, "share", 0, 1, "E", "new recruits who start active", eq="recruitment"
    )
    volunteer_hours_sd: float = _p(
        0.4, "log sd", 0, 3, "E", "spread of preferred hours: LogNormal(0, this) x the mean", eq="recruitment"
    )
    volunteer_motivation_mean: float = _p(
        0.6, "0-1", 0, 1, "E", "mean motivation of a new volunteer (as Beta(6, 4))", eq="recruitment"
    )
    volunteer_motivation_sd: float = _p(
        0.15, "0-1 sd", 0, 1, "E", "spread of a new volunteer's motivation (as Beta(6, 4))", eq="recruitment"
    )
    volunteer_motivation_clip: float = _p(
        0.05,
        "0-1",
        0,
        0.49,
        "E",
        "a new volunteer's motivation is clipped to [this, 1 - this]",
        eq="recruitment",
    )
    volunteer_repair_skill_base: float = _p(
        0.15, "probability", 0, 1, "E", "a volunteer can repair", eq="recruitment"
    )
    volunteer_repair_skill_retiree: float = _p(
        0.25,
        "probability",
        0,
        1,
        "E",
        "added for retirees (新工老友: retired skilled workers)",
        eq="recruitment",
    )
    volunteer_repair_skill_good: float = _p(
        0.2, "probability", 0, 1, "E", "added for residents of skill 2", eq="recruitment"
    )
    volunteer_care_skill_base: float = _p(
        0.25, "probability", 0, 1, "E", "a volunteer can give care", eq="recruitment"
    )
    volunteer_care_skill_female: float = _p(
        0.15, "probability", 0, 1, "E", "added for women", eq="recruitment"
    )
    volunteer_meal_skill: float = _p(
        0.7, "probability", 0, 1, "E", "a volunteer can deliver meals", eq="recruitment"
    )
    volunteer_tutoring_skill: float = _p(
        0.25, "probability", 0, 1, "E", "a volunteer of skill 1-2 can tutor", eq="recruitment"
    )
    volunteer_tutoring_skill_unskilled: float = _p(
        0.05, "probability", 0, 1, "E", "a volunteer of skill 0 can tutor", eq="recruitment"
    )
    volunteer_dispute_skill_base: float = _p(
        0.1, "probability", 0, 1, "E", "a volunteer can mediate disputes", eq="recruitment"
    )
    volunteer_dispute_skill_retiree: float = _p(
        0.2, "probability", 0, 1, "E", "added for retirees", eq="recruitment"
    )
    activation_month: float = _p(
        0.02, "probability/month", 0, 1, "E", "inactive volunteer returns", eq="volunteer_reviews"
    )
    deactivation_month: float = _p(
        0.04, "probability/month", 0, 1, "E", "active volunteer rests", eq="volunteer_reviews"
    )
    motivation_decay_month: float = _p(
        0.05, "share/month", 0, 1, "E", "an active volunteer's motivation erodes without recognition",
        eq="volunteer_reviews",
    )  # fmt: skip
    motivation_rest_recovery_month: float = _p(
        0.1, "share/month", 0, 1, "E", "a resting volunteer's motivation recovers toward its initial mean",
        eq="volunteer_reviews",
    )  # fmt: skip
    motivation_services_full: int = _p(
        4,
        "services/month",
        1,
        100,
        "E",
        "services a month at which recognition counts in full",
        eq="volunteer_reviews",
    )
    motivation_recognition_step: float = _p(
        0.08,
        "motivation/month",
        0,
        1,
        "E",
        "gain from a month of recognised services",
        eq="volunteer_reviews",
    )
    motivation_overload_step: float = _p(
        0.15,
        "motivation/load",
        0,
        1,
        "E",
        "loss per unit of load above preferred hours",
        eq="volunteer_reviews",
    )
    motivation_decline_step: float = _p(
        0.01,
        "motivation/decline",
        0,
        1,
        "E",
        "loss per dispatch declined in the month",
        eq="volunteer_reviews",
    )
    motivation_noise_step: float = _p(
        0.05,
        "motivation",
        0,
        1,
        "E",
        "spread of the monthly motivation change (uniform)",
        eq="volunteer_reviews",
    )
    dropout_motivation_factor: float = _p(
        2.0,
        "x at motivation 0",
        0,
        10,
        "E",
        "dropout hazard scales by this x (1 - motivation)",
        eq="volunteer_reviews",
    )
    rest_motivation_factor: float = _p(
        2.0,
        "x at motivation 0",
        0,
        10,
        "E",
        "resting chance scales by this x (1 - motivation)",
        eq="volunteer_reviews",
    )
    activation_base: float = _p(
        0.5, "x", 0, 10, "E", "return chance scales by this + recognition", eq="volunteer_reviews"
    )
    accept_base: float = _p(1.5, "logit", -10, 10, "E", "baseline acceptance of a dispatch", eq="dispatch")
    accept_notification_weight: float = _p(
        0.05,
        "logit/notification",
        0,
        5,
        "E",
        "notification fatigue (dispatches received this month)",
        eq="dispatch",
    )
    accept_distance_weight: float = _p(0.8, "logit/km", 0, 10, "E", "distance reluctance", eq="dispatch")
    accept_motivation_weight: float = _p(
        2.0, "logit", 0, 20, "E", "acceptance per unit of volunteer motivation above 0.5", eq="dispatch"
    )
    score_skill_weight: float = _p(
        1.0, "score/skill level", 0, 10, "E", "closed-loop score per skill level", eq="dispatch"
    )
    score_complex_bonus: float = _p(
        1.0, "score", 0, 10, "E", "score bonus of a most-skilled provider for a complex case", eq="dispatch"
    )
    score_rating_weight: float = _p(
        0.8, "score/star", 0, 10, "E", "score per star of the rating estimate", eq="dispatch"
    )
    score_rating_reference: float = _p(
        4.0, "stars", 1, 5, "E", "rating estimate that adds nothing to the score", eq="dispatch"
    )
    score_gumbel_scale: float = _p(
        0.3, "score", 0, 10, "E", "scale of the Gumbel noise in the closed-loop score", eq="dispatch"
    )

    # --- partner units ----------------------------------------------------------
    partner_units: int = _p(
        12,
        "units/community",
        0,
        200,
        "A",
        "大党委 member units",
        eq="build_providers",
        build=True,
        lever="unmet_rate_repair",
    )
    unit_sharing: str = _p(
        "subdistrict", "rule", tag="A",
        doc="which orders a unit may take: any in its subdistrict (街道大工委) or only its community's",
        choices=UNIT_SHARING, eq="dispatch",
    )  # fmt: skip
    unit_enterprise_share: float = _p(
        0.45,
        "share",
        0,
        1,
        "E",
        "enterprises among units (report: 312 of 638 party orgs are enterprises, 0.49)",
        eq="build_providers",
    )
    unit_institution_weight: float = _p(
        0.25,
        "relative share",
        0,
        1,
        "E",
        "institutions among the non-enterprise units (relative)",
        eq="build_providers",
    )
    unit_school_weight: float = _p(
        0.10,
        "relative share",
        0,
        1,
        "E",
        "schools among the non-enterprise units (relative)",
        eq="build_providers",
    )
    unit_social_org_weight: float = _p(
        0.20,
        "relative share",
        0,
        1,
        "E",
        "social organisations among the non-enterprise units (relative)",
        eq="build_providers",
    )
    unit_initial_motivation: float = _p(
        0.8, "0-1", 0, 1, "E", "motivation of a new partner unit", eq="build_providers"
    )
    unit_hours_month: float = _p(
        16.0, "hours/month", 0, 1000, "E", "labour hours a unit offers", eq="unit_reviews"
    )
    unit_accept_prob: float = _p(0.8, "probability", 0, 1, "E", "a unit accepts a dispatch", eq="dispatch")
    unit_use_reference: float = _p(
        0.5,
        "share of hours",
        0,
        1,
        "E",
        "use of its hours above which a unit's motivation rises",
        eq="unit_reviews",
    )
    unit_use_step: float = _p(
        0.05, "motivation", 0, 1, "E", "unit motivation change per share of hours used", eq="unit_reviews"
    )
    unit_recognition_step: float = _p(
        0.05, "motivation", 0, 1, "E", "unit motivation change from recognised ratings", eq="unit_reviews"
    )
    unit_noise_step: float = _p(
        0.02,
        "motivation",
        0,
        1,
        "E",
        "spread of the monthly unit motivation change (uniform)",
        eq="unit_reviews",
    )
    unit_rating_reference: float = _p(
        3.0,
        "stars",
        1,
        5,
        "E",
        "rating estimate that leaves a unit's motivation unchanged",
        eq="unit_reviews",
    )
    unit_rating_scale: float = _p(
        2.0, "stars", 0.1, 4, "E", "stars above the reference that count as fully good", eq="unit_reviews"
    )
    unit_hours_base: float = _p(
        0.5, "x", 0, 10, "E", "hours offered are unit_hours_month x (this + motivation)", eq="unit_reviews"
    )

    volunteer_days_month: float = _p(
        6.0, "days/month", 0, 30, "E", "days a month an active volunteer is free to take an order",
        eq="dispatch",
    )  # fmt: skip
    unit_days_month: float = _p(
        8.0, "days/month", 0, 30, "E", "days a month a partner unit can send someone", eq="dispatch"
    )
    staff_days_month: float = _p(
        22.0, "days/month", 0, 30, "E", "working days a month of paid staff (a five-day week)", eq="dispatch"
    )
    volunteer_hours_day: float = _p(
        3.0, "hours/day", 0.1, 24, "E", "most service hours a volunteer gives on a day they are free",
        eq="dispatch",
    )  # fmt: skip
    unit_hours_day: float = _p(
        4.0, "hours/day", 0.1, 24, "E", "most hours a partner unit sends on a day it can", eq="dispatch"
    )
    staff_hours_day: float = _p(
        6.0, "hours/day", 0.1, 24, "E", "service hours of paid staff on a working day", eq="dispatch"
    )
    staff_accept_prob: float = _p(
        0.95, "probability", 0, 1, "E", "paid staff accept a dispatch", eq="dispatch"
    )

    # --- five-society linkage and elderly care ----------------------------------
    five_society_linkage: int = _p(
        1,
        "on/off",
        0,
        1,
        "A",
        "五社联动: professional social workers take cases",
        eq="dispatch",
        lever="unmet_rate_care",
    )
    social_workers: int = _p(
        2,
        "workers/community",
        0,
        50,
        "E",
        "social workers taking complex cases",
        eq="build_providers",
        build=True,
        lever="unmet_rate_care",
    )
    social_worker_hours_month: float = _p(
        80.0, "hours/month", 0, 200, "E", "case hours per social worker", eq="build_providers", build=True
    )
    care_centre_staff: int = _p(
        1,
        "staff/community",
        0,
        50,
        "E",
        "elderly-care service centre staff",
        eq="build_providers",
        build=True,
        lever="unmet_rate_care",
    )
    care_staff_hours_month: float = _p(
        100.0, "hours/month", 0, 200, "E", "home-care hours per staff", eq="build_providers", build=True
    )
    care_progression_year: float = _p(
        0.04,
        "probability/year at 75",
        0,
        1,
        "E",
        "care level rises (x2 per ~9 years of age)",
        eq="monthly_care",
    )
    care_unmet_multiplier: float = _p(
        0.5,
        "x per unmet need",
        0,
        10,
        "E",
        "faster decline per unmet care/meal need last month",
        eq="monthly_care",
    )
    care_reference_age: float = _p(
        75.0, "years", 60, 100, "E", "the age at which care_progression_year applies", eq="monthly_care"
    )
    care_renewal_year: float = _p(
        0.5, "probability/year", 0, 1, "E",
        "a resident whose care level has risen returns to their day-0 level and cooking: recovery, or "
        "an elder who died or moved to a home replaced by one like them (the population is fixed)",
        eq="monthly_care",
    )  # fmt: skip
    care_skip_weight: float = _p(
        0.1, "unmet needs/lunch", 0, 5, "E",
        "a lunch skipped by someone who does not cook counts as this share of an unmet need for care risk",
        eq="monthly_care",
    )  # fmt: skip
    care_unmet_cap: int = _p(
        5, "needs", 0, 100, "E", "unmet needs in a month beyond this add no more risk", eq="monthly_care"
    )
    staff_motivation: float = _p(
        0.7,
        "0-1",
        0,
        1,
        "E",
        "motivation of paid staff (fixed: they make no decisions)",
        eq="build_providers",
    )
    activity_classes: int = _p(
        1,
        "on/off",
        0,
        1,
        "A",
        "senior-university and activity classes",
        eq="weekly_classes",
        lever="ties_per_person",
    )
    class_enrolment: float = _p(
        0.08,
        "share of able elderly",
        0,
        1,
        "E",
        "elders enrolled in classes",
        eq="build_services",
        build=True,
    )
    class_tie_prob: float = _p(
        0.1, "probability/meeting", 0, 1, "E", "a class meeting starts a tie", eq="weekly_classes"
    )
    markets_per_month: int = _p(
        2, "markets/month", 0, 30, "A", "neighbourhood markets", eq="market_day", lever="ties_per_person"
    )
    market_attendance: float = _p(
        0.1, "share of adults", 0, 1, "E", "adults attending a market", eq="market_day"
    )
    market_tie_prob: float = _p(
        0.05, "probability/meeting", 0, 1, "E", "a market meeting starts a tie", eq="market_day"
    )
    tutoring_programme: int = _p(
        1,
        "on/off",
        0,
        1,
        "A",
        "after-school tutoring for migrant children",
        eq="dispatch",
        lever="unmet_rate_tutoring",
    )
    mediation_team: int = _p(
        1,
        "on/off",
        0,
        1,
        "A",
        "volunteer mediation team for disputes",
        eq="dispatch",
        lever="unmet_rate_dispute",
    )

    # --- community canteens -----------------------------------------------------
    canteens_per_community: int = _p(
        1,
        "canteens",
        0,
        5,
        "A",
        "a 230 m² canteen in idle office space",
        eq="build_services",
        build=True,
        lever="meal_skip_rate",
    )
    canteen_seats: int = _p(
        85, "seats", 0, 1000, "E", "80-90 seats in 230 m²", eq="build_services", build=True
    )
    canteen_sittings: int = _p(
        3, "sittings/lunch", 1, 6, "E", "lunch sittings", eq="build_services", build=True
    )
    canteen_price: float = _p(
        10.0,
        "yuan/meal",
        0,
        100,
        "A",
        "8-12 yuan a meal",
        eq="build_services",
        build=True,
        lever="canteen_meals_per_day",
    )
    canteen_elder_discount: float = _p(
        0.2, "share off", 0, 1, "S", "discount for ages 60+", eq="build_services", build=True
    )
    canteen_subsidy: float = _p(
        2.0,
        "yuan/meal to 60+",
        0,
        100,
        "E",
        "government subsidy per elderly meal",
        eq="build_services",
        build=True,
        lever="canteen_cost_recovery_with_subsidy",
    )
    canteen_quality: float = _p(
        0.6, "0-1", 0, 1, "E", "food and service quality", eq="build_services", build=True
    )
    canteen_food_cost: float = _p(
        5.5, "yuan/meal", 0, 100, "E", "ingredients: 50-60 % of a 10-yuan meal", eq="canteen_books"
    )
    canteen_labour_day: float = _p(
        750.0, "yuan/day", 0, 20000, "E", "caterer's staff cost", eq="canteen_books"
    )
    canteen_loss_tolerance: float = _p(
        60000.0, "yuan", 0, 1e7, "E", "cumulative loss before closing", eq="canteen_books"
    )
    takeaway_price: float = _p(
        22.0, "yuan/meal", 0, 100, "E", "a delivered takeaway lunch", eq="choose_lunch"
    )
    meal_cook_preference: float = _p(
        3.0, "utility", -10, 10, "E", "cooking at home (if able)", eq="choose_lunch"
    )
    meal_canteen_preference: float = _p(
        2.6, "utility", -10, 10, "E", "canteen before price and distance", eq="choose_lunch"
    )
    meal_takeaway_preference: float = _p(
        1.5, "utility", -10, 10, "E", "takeaway before price", eq="choose_lunch"
    )
    meal_skip_preference: float = _p(
        -0.5, "utility", -10, 10, "E", "going without a proper meal", eq="choose_lunch"
    )
    meal_price_weight: float = _p(
        0.25, "utility/yuan", 0, 5, "E", "price sensitivity (low income)", eq="choose_lunch"
    )
    meal_distance_weight: float = _p(
        1.5, "utility/km", 0, 20, "E", "walking-distance reluctance", eq="choose_lunch"
    )
    canteen_catchment_m: float = _p(
        500.0, "m", 0, 5000, "E", "a new canteen goes where most people 60+ live farther than this from one",
        eq="build_services",
    )  # fmt: skip
    meal_income_price_relief: float = _p(
        0.5,
        "x per income band",
        0,
        10,
        "E",
        "price weighs 1 / (1 + this x income band 0-2)",
        eq="choose_lunch",
    )
    meal_quality_weight: float = _p(
        2.0,
        "utility",
        0,
        20,
        "E",
        "utility per unit of canteen quality above the reference",
        eq="choose_lunch",
    )
    meal_quality_reference: float = _p(
        0.5, "0-1", 0, 1, "E", "canteen quality that neither attracts nor repels", eq="choose_lunch"
    )
    meal_peer_weight: float = _p(
        2.0, "utility", 0, 10, "E", "per share of ties eating there", eq="choose_lunch"
    )
    delivery_distance_weight: float = _p(
        0.5, "logit/km", 0, 10, "E", "meal delivery: reluctance per km from the canteen", eq="dispatch"
    )
    delivery_km_cap: float = _p(
        3.0,
        "km",
        0,
        50,
        "E",
        "longest way to the canteen a delivery counts (the way when there is none)",
        eq="dispatch",
    )
    meal_habit_weight: float = _p(1.0, "utility", 0, 10, "E", "repeat yesterday's choice", eq="choose_lunch")

    # --- employment: job platform and training ---------------------------------
    job_loss_month: float = _p(
        0.005, "probability/month", 0, 1, "E", "an employed resident loses the job", eq="monthly_jobs"
    )
    market_find_month: float = _p(
        0.08, "probability/month", 0, 1, "E", "a job-seeker finds work alone", eq="monthly_jobs"
    )
    job_platform: int = _p(
        1,
        "on/off",
        0,
        1,
        "A",
        "community job platform (五社联动)",
        eq="monthly_jobs",
        lever="placements_platform",
    )
    platform_reach: float = _p(
        0.5, "share", 0, 1, "E", "job-seekers using the platform in a month", eq="monthly_jobs"
    )
    unit_vacancies_month: float = _p(
        0.2, "vacancies/unit/month", 0, 20, "E", "posted by enterprises", eq="monthly_jobs"
    )
    platform_market_vacancies_month: float = _p(
        1.5, "vacancies/month", 0, 100, "E", "from the talent market", eq="monthly_jobs"
    )
    training_projects_year: int = _p(
        6,
        "projects/year",
        0,
        52,
        "A",
        "seasonal training projects",
        eq="start_training",
        lever="placements_market",
    )
    training_size: int = _p(
        8, "trainees/project", 0, 200, "E", "job-seekers per training project", eq="start_training"
    )
    training_effect: float = _p(
        1.0, "x", 0, 10, "E", "extra placement chance while trained", eq="monthly_jobs"
    )
    training_effect_days: int = _p(180, "days", 0, 730, "E", "how long training helps", eq="start_training")
    training_start_day: int = _p(
        305, "day of year", 0, 364, "E", "first training of the year (early November: winter training)",
        eq="start_training",
    )  # fmt: skip
    job_skill_base: float = _p(
        0.6,
        "x",
        0,
        5,
        "E",
        "finding work scales with this + job_skill_weight x skill level (0-2)",
        eq="monthly_jobs",
    )
    job_skill_weight: float = _p(
        0.4, "x per level", 0, 5, "E", "extra job-finding chance per skill level (0-2)", eq="monthly_jobs"
    )

    # --- 大党委 joint meetings and projects -------------------------------------
    joint_meetings_per_year: int = _p(
        4, "meetings/year", 0, 12, "S", "roughly quarterly", eq="joint_meeting", lever="projects_completed"
    )
    unit_money_year: float = _p(
        45000.0, "yuan/year", 0, 1e7, "E", "money budget of an enterprise unit", eq="new_year_budgets"
    )
    pledge_share: float = _p(
        0.3, "share of budget left", 0, 1, "E", "pledged at a meeting", eq="joint_meeting"
    )
    reciprocity_weight: float = _p(
        0.15, "x per success", 0, 5, "E", "larger pledges after joint successes", eq="joint_meeting"
    )
    reciprocity_cap: int = _p(
        5, "successes", 0, 100, "E", "joint successes beyond this raise pledges no more", eq="joint_meeting"
    )
    first_meeting_day: int = _p(
        14,
        "day of year",
        0,
        364,
        "E",
        "the year's first joint meeting (then evenly spaced)",
        eq="joint_meeting",
    )
    unit_budget_weight_institution: float = _p(
        0.4, "x enterprise", 0, 10, "E", "money budget of an institution unit / an enterprise's",
        eq="new_year_budgets",
    )  # fmt: skip
    unit_budget_weight_school: float = _p(
        0.1,
        "x enterprise",
        0,
        10,
        "E",
        "money budget of a school unit / an enterprise's",
        eq="new_year_budgets",
    )
    unit_budget_weight_social_org: float = _p(
        0.1, "x enterprise", 0, 10, "E", "money budget of a social-organisation unit / an enterprise's",
        eq="new_year_budgets",
    )  # fmt: skip
    project_needs_per_grid: float = _p(
        1.0, "projects/grid", 0, 20, "E", "needs list at start", eq="build_services", build=True
    )
    project_needs_per_grid_year: float = _p(
        0.5, "projects/grid/year", 0, 20, "E", "new needs listed", eq="new_project_needs"
    )
    project_cost_scale: float = _p(
        1.0, "x", 0, 100, "E", "multiplies the cost of every project", eq="new_project_needs"
    )
    project_cost_paving: float = _p(
        90000.0, "yuan", 0, 1e7, "E", "cost of road paving, before project_cost_scale", eq="new_project_needs"
    )
    project_days_paving: int = _p(
        60, "days", 1, 365, "E", "duration of road paving once funded", eq="projects_progress"
    )
    project_cost_sewer: float = _p(
        70000.0, "yuan", 0, 1e7, "E", "cost of sewer pipes, before project_cost_scale", eq="new_project_needs"
    )
    project_days_sewer: int = _p(
        45, "days", 1, 365, "E", "duration of sewer pipes once funded", eq="projects_progress"
    )
    project_cost_parking: float = _p(
        40000.0,
        "yuan",
        0,
        1e7,
        "E",
        "cost of parking bays, before project_cost_scale",
        eq="new_project_needs",
    )
    project_days_parking: int = _p(
        30, "days", 1, 365, "E", "duration of parking bays once funded", eq="projects_progress"
    )
    project_cost_property_management: float = _p(
        30000.0,
        "yuan",
        0,
        1e7,
        "E",
        "cost of bringing in basic property management, before project_cost_scale",
        eq="new_project_needs",
    )
    project_days_property_management: int = _p(
        30,
        "days",
        1,
        365,
        "E",
        "duration of bringing in basic property management once funded",
        eq="projects_progress",
    )
    project_cost_renovation: float = _p(
        60000.0, "yuan", 0, 1e7, "E", "cost of renovation, before project_cost_scale", eq="new_project_needs"
    )
    project_days_renovation: int = _p(
        60, "days", 1, 365, "E", "duration of renovation once funded", eq="projects_progress"
    )
    project_cost_snow_removal: float = _p(
        8000.0,
        "yuan",
        0,
        1e7,
        "E",
        "cost of winter snow removal (the whole community), before project_cost_scale",
        eq="new_project_needs",
    )
    project_days_snow_removal: int = _p(
        3,
        "days",
        1,
        365,
        "E",
        "duration of winter snow removal (the whole community) once funded",
        eq="projects_progress",
    )
    project_full_effect_yuan: float = _p(
        200.0, "yuan/resident", 1, 1e5, "E",
        "a project spending this much per resident it serves has its full effect; less, in proportion",
        eq="projects_progress",
    )  # fmt: skip
    project_satisfaction_gain: float = _p(
        0.05, "satisfaction", 0, 1, "E", "residents of the compound", eq="projects_progress"
    )
    project_trust_gain: float = _p(
        0.05, "trust", 0, 1, "E", "residents of the compound", eq="projects_progress"
    )

    # --- costs -------------------------------------------------------------------
    grid_worker_cost_day: float = _p(160.0, "yuan/day", 0, 5000, "E", "wage of a grid worker", eq="cost")
    staff_cost_day: float = _p(
        200.0, "yuan/day", 0, 5000, "E", "wage of a social worker or care staff", eq="cost"
    )
    dispatch_cost_order: float = _p(
        4.0, "yuan/order", 0, 500, "E", "staff time per dispatched order", eq="cost"
    )
    unit_hour_value: float = _p(40.0, "yuan/hour", 0, 1000, "E", "value of donated unit labour", eq="cost")
    volunteer_shadow_wage: float = _p(
        22.0,
        "yuan/hour",
        0,
        1000,
        "E",
        "shadow wage of an hour of volunteer time, about a local hourly minimum wage (brief's cost model)",
        eq="cost",
    )
    canteen_fitout_yuan: float = _p(
        200000.0,
        "yuan/canteen",
        0,
        1e7,
        "E",
        "one-off fit-out and kitchen equipment of a new community canteen (brief's cost model)",
        eq="cost",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # numpy scalars (np.int64, np.float64, np.str_) as Python's
            value = getattr(self, f.name)
            if plain(value) is not value:
                object.__setattr__(self, f.name, plain(value))
        self._check_district()
        for f in dataclasses.fields(self):
            _check_value(f, getattr(self, f.name))
        if self.households_per_grid < self.households_per_building:
            raise i18n.error(
                "grid_below_building", grid=self.households_per_grid, building=self.households_per_building
            )
        if self.rating_three_stars_below > self.rating_two_stars_below:
            raise i18n.error(
                "star_edges", three=self.rating_three_stars_below, two=self.rating_two_stars_below
            )
        mix = sum(getattr(self, name) for name in HOUSEHOLD_TYPES)
        if abs(mix - 1.0) > HOUSEHOLD_MIX_TOLERANCE:
            within = HOUSEHOLD_MIX_TOLERANCE
            raise i18n.error("household_mix", sum=f"{mix:.3f}", within=within)
        rest = self.unit_institution_weight + self.unit_school_weight + self.unit_social_org_weight
        if rest <= 0 and self.unit_enterprise_share < 1:
            raise i18n.error("unit_weights_zero")
        for names in SKILL_SHARES:
            total = sum(getattr(self, name) for name in names)
            if abs(total - 1.0) > 1e-9:  # numpy's choice allows 1.5e-8
                raise i18n.error("shares_sum", names=", ".join(names), sum=f"{total:.6g}")

    def _check_district(self) -> None:
        """More communities than the district has: say the limit and what it would need."""
        first, n, hh = self.first_community, self.communities, self.households_per_community
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (first, n, hh)):
            return  # the type check of each field says what is wrong
        if 0 <= first < DISTRICT_COMMUNITIES and n >= 1 and first + n > DISTRICT_COMMUNITIES:
            residents, need = estimate_memory(n, hh)
            raise i18n.error(
                "too_many_communities",
                n=n,
                first=first,
                limit=DISTRICT_COMMUNITIES,
                residents=f"{residents:,}",
                gib=f"{need / 2**30:.1f}",
            )

    def replace(self, **changes: Any) -> Params:
        """Return a copy with ``changes`` applied; unknown keys are rejected."""
        for key in changes:
            _spec(key)
        return dataclasses.replace(self, **changes)

    def with_strings(self, pairs: dict[str, str]) -> Params:
        """Apply ``key -> text`` overrides (from ``--set``), parsing each by its type."""
        return self.replace(**{k: parse_value(k, v) for k, v in pairs.items()})

    @staticmethod
    def share_groups() -> tuple[tuple[str, ...], ...]:
        """Parameters that are shares of one whole and must sum to 1: the eight ``hh_*``
        household shares and each triple of skill-level shares."""
        return (HOUSEHOLD_TYPES, *SKILL_SHARES)

    def with_shares(self, **shares: Any) -> Params:
        """Set some shares of :meth:`share_groups` and scale the other shares of their group in
        proportion so that each group still sums to 1 (how a design varies one share at a
        time; ``Params().with_shares(hh_elder_alone=0.2)``).

        Raises:
            InputError: a key that is not such a share, a share outside [0, 1], given shares
                of a group summing above 1, or the whole group given and not summing to 1.
        """
        changes: dict[str, Any] = {}
        for key, value in shares.items():
            _spec(key)  # an unknown name gets the closest name
            if not any(key in g for g in self.share_groups()):
                allowed = "; ".join(", ".join(g) for g in self.share_groups())
                raise i18n.error("not_a_share", key=key, allowed=allowed)
            _check_value(_spec(key), plain(value))
        for group in self.share_groups():
            given = {k: plain(v) for k, v in shares.items() if k in group}
            if not given:
                continue
            rest = [k for k in group if k not in given]
            total, before = sum(given.values()), sum(getattr(self, k) for k in rest)
            if total > 1 + 1e-12 or (not rest and abs(total - 1) > 1e-9):
                raise i18n.error("shares_above_1", names=", ".join(given), sum=f"{total:.6g}")
            if rest and before <= 0 and total < 1:
                others = ", ".join(rest)
                raise i18n.error("shares_rest_zero", others=others, given=", ".join(given))
            scale = (1 - total) / before if rest and before > 0 else 0.0
            changes |= given | {k: getattr(self, k) * scale for k in rest}
        return self.replace(**changes)


HOUSEHOLD_TYPES = (
    "hh_elder_alone",
    "hh_elder_couple",
    "hh_elder_adult_child",
    "hh_three_generation",
    "hh_single_adult",
    "hh_couple",
    "hh_couple_child",
    "hh_single_parent",
)

# Shares of skill levels 0, 1 and 2 in the first and (migrants') second draw; each must sum to 1.
SKILL_SHARES = (
    ("skill_low_share", "skill_mid_share", "skill_high_share"),
    ("migrant_skill_low_share", "migrant_skill_mid_share", "migrant_skill_high_share"),
)


# Parameters read only when the model is built (population, network, initial actors,
# facilities), flagged ``build`` where declared. Changing them mid-run would do nothing,
# so a param_change policy refuses them.
BUILD_ONLY = frozenset(f.name for f in dataclasses.fields(Params) if f.metadata["build"])


def _spec(key: str) -> dataclasses.Field:
    fields = {f.name: f for f in dataclasses.fields(Params)}
    if key not in fields:
        close = difflib.get_close_matches(key, fields, n=1)
        hint = i18n.t("err.did_you_mean", name=close[0]) if close else ""
        raise i18n.error("unknown_param", key=key, hint=hint)
    return fields[key]


def allowed(f: dataclasses.Field) -> str:
    """Human description of what a parameter accepts."""
    m = f.metadata
    if m["choices"]:
        return i18n.t("err.one_of", choices=", ".join(m["choices"]))
    kind = "err.integer_in" if f.type in ("int", int) else "err.number_in"
    return i18n.t(kind, lo=m["lo"], hi=m["hi"], unit=m["unit"])


def plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar of the same kind (``np.int64`` -> int,
    ``np.float64`` -> float, ``np.bool_`` -> bool, ``np.str_`` -> str); anything else unchanged.

    The checks then treat it exactly as the Python value: ``np.float64(3.0)`` for an integer
    parameter is refused like ``3.0``, ``np.bool_(True)`` like ``True``.
    """
    if isinstance(value, np.bool_ | np.integer | np.floating | np.str_):
        return value.item()
    return value


def _check_value(f: dataclasses.Field, value: Any, label: str | None = None) -> None:
    """One-line :class:`InputError` naming ``label`` (default: ``parameter 'name'``) unless
    ``value`` has the parameter's type, is one of its choices and lies in its range."""
    m = f.metadata
    who = label if label is not None else i18n.t("err.param_label", name=f.name)
    ok_type = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
    }[f.type if isinstance(f.type, str) else f.type.__name__]
    if not ok_type(value) or (m["choices"] and value not in m["choices"]):
        raise i18n.error("bad_value", who=who, value=repr(value), allowed=allowed(f))
    if m["lo"] is not None and not (m["lo"] <= value <= m["hi"]):
        raise i18n.error("out_of_range", who=who, value=repr(value), allowed=allowed(f))


def check_like(param: str, value: Any, label: str) -> None:
    """Validate ``value`` by parameter ``param``'s type and range; errors name ``label``."""
    _check_value(_spec(param), plain(value), label)


def parse_value(key: str, text: str) -> Any:
    """Parse ``text`` as the type of parameter ``key`` (for ``--set key=value``)."""
    from .argtypes import parse_number  # ASCII digits only

    f = _spec(key)
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind in ("int", "float"):
            return parse_number(text, integer=kind == "int")
    except ValueError:
        who = i18n.t("err.param_label", name=key)
        raise i18n.error("bad_value", who=who, value=repr(text), allowed=allowed(f)) from None
    return text


def param_type(f: dataclasses.Field) -> str:
    """A parameter's type for clients: ``int``, ``float``, ``bool`` or ``choice``."""
    if f.metadata["choices"]:
        return "choice"
    return f.type if isinstance(f.type, str) else f.type.__name__


def _prior_record(prior) -> dict[str, Any] | None:
    if prior is None:
        return None
    return {
        "dist": prior.dist, "lo": prior.lo, "hi": prior.hi, "mode": prior.mode, "integer": prior.integer,
        "choices": list(prior.choices) or None, "group": prior.group, "reason": prior.reason,
        "compose": prior.compose or None,
    }  # fmt: skip


def describe() -> list[dict[str, Any]]:
    """Every parameter as a record (what ``govsim params --json`` prints), one per field:

    ``name``; ``type`` (``int``, ``float``, ``bool`` or ``choice``); ``default``; ``unit``;
    ``min`` and ``max`` (numbers, or None for a choice); ``choices`` (a list, or None);
    ``range`` (the same bounds as text, for people); ``tag`` (provenance A/S/E); ``doc``
    (what it is, in English) and ``doc_zh`` (the same in Chinese, from
    ``sim/i18n/descriptions.zh.toml``);
    ``eq`` (its submodel); ``build_only`` (read only when the model is built; also as
    ``build``); ``lever`` (the outcome a policy lever targets, or None); ``prior`` (for an
    [E] parameter, its plausible values from ``sim/data/priors.toml``: ``dist`` (uniform,
    loguniform, triangular, categorical or fixed), ``lo``, ``hi``, ``mode`` (triangular: the
    peak), ``integer``, ``choices``, ``group``, ``reason`` and ``compose`` ("sum_to_one": the
    group's draws are rescaled to sum to 1); None for a sourced parameter).
    """
    from .priors import load_priors  # priors read the parameter table: imported when asked

    priors = load_priors()
    rows = []
    for f in dataclasses.fields(Params):
        m = f.metadata
        rng = "|".join(m["choices"]) if m["choices"] else f"[{m['lo']}, {m['hi']}]"
        rows.append(
            {
                "name": f.name,
                "type": param_type(f),
                "default": f.default,
                "unit": m["unit"],
                "min": m["lo"],
                "max": m["hi"],
                "choices": list(m["choices"]) if m["choices"] else None,
                "range": rng,
                "tag": m["tag"],
                "doc": m["doc"],
                "doc_zh": i18n.description("param", f.name, m["doc"], "zh"),
                "eq": m["eq"],
                "build_only": m["build"],
                "build": m["build"],
                "lever": m["lever"] or None,
                "prior": _prior_record(priors.get(f.name)),
            }
        )
    return rows
