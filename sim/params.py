"""Every model parameter, declared once with its unit, range and provenance.

Provenance tags (DESIGN §1): ``A`` = the 2025 Tiexi governance report,
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

from .errors import InputError

DISPATCH_RULES = ("closed_loop", "ad_hoc", "none")
UNIT_SHARING = ("subdistrict", "community")
DISTRICT_COMMUNITIES = 193  # Tiexi District's communities [A]
MAX_DAYS = 36_500  # 100 years; need keys hold the day in 21 bits (sim.needs)
BYTES_PER_RESIDENT = 1000  # a district-year peaks at ~0.9 KB a resident (docs/performance.md)
BASE_BYTES = 200 * 2**20


def estimate_memory(communities: int, households_per_community: int) -> tuple[int, int]:
    """(expected residents, estimated peak bytes) of a model of that size (2.2 persons a household)."""
    residents = int(communities * households_per_community * 2.2)
    return residents, BASE_BYTES + residents * BYTES_PER_RESIDENT


def _p(default, unit: str, lo=None, hi=None, tag: str = "E", doc: str = "", choices=None):
    """Declare one parameter field with its metadata."""
    meta = {"unit": unit, "lo": lo, "hi": hi, "tag": tag, "doc": doc, "choices": choices}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Params:
    """Model parameters with defaults for a Tiexi-like community (DESIGN §1)."""

    # --- structure -------------------------------------------------------
    communities: int = _p(1, "communities", 1, 193, "A", "communities built (193 = Tiexi)")
    first_community: int = _p(
        0, "community index", 0, 192, "A", "district index of the first community built (Tiexi: 0-192)"
    )
    subdistricts: int = _p(17, "subdistricts", 1, 193, "A", "subdistricts the district's communities fall in")
    households_per_community: int = _p(
        3165, "households", 50, 20000, "S", "~6,900 residents / 2.18 persons per household"
    )
    households_per_grid: int = _p(200, "households", 20, 2000, "A", "urban grid size")
    households_per_building: int = _p(20, "households", 2, 200, "S", "a 楼栋 building")

    # --- household mix (shares of households; must sum to 1) --------------
    hh_elder_alone: float = _p(0.07, "share", 0, 1, "E", "one person aged 60+")
    hh_elder_couple: float = _p(0.10, "share", 0, 1, "E", "two people aged 60+ (empty nest)")
    hh_elder_adult_child: float = _p(0.10, "share", 0, 1, "E", "elder(s) with an adult child")
    hh_three_generation: float = _p(0.08, "share", 0, 1, "E", "elder(s), couple and a child")
    hh_single_adult: float = _p(0.20, "share", 0, 1, "E", "one adult aged 18-59")
    hh_couple: float = _p(0.15, "share", 0, 1, "E", "two adults, no child")
    hh_couple_child: float = _p(0.22, "share", 0, 1, "E", "two adults and a child")
    hh_single_parent: float = _p(0.08, "share", 0, 1, "E", "one adult and a child")

    # --- people ----------------------------------------------------------
    migrant_household_share: float = _p(
        0.43, "share", 0, 1, "S", "working-age households that are migrant; gives ~26 % residents"
    )
    unemployment_rate: float = _p(0.05, "share", 0, 0.5, "S", "urban unemployment")
    inactive_share: float = _p(0.12, "share", 0, 0.8, "E", "working-age adults out of labour force")
    disabled_share_elderly: float = _p(
        0.11, "share", 0, 1, "S", "elderly disabled or semi-disabled (care level 2-3)"
    )
    mild_care_share_elderly: float = _p(0.15, "share", 0, 1, "E", "elderly needing some help (care level 1)")
    non_cooking_share_elderly: float = _p(
        0.10, "share", 0, 1, "E", "able elderly who do not cook for themselves"
    )
    initial_trust: float = _p(0.6, "0-1", 0, 1, "E", "mean trust in the committee at start")
    initial_awareness: float = _p(0.5, "0-1", 0, 1, "E", "mean awareness of services at start")

    # --- neighbourhood network --------------------------------------------
    building_ties_mean: float = _p(1.5, "ties/person", 0, 20, "E", "ties to other households in the building")
    compound_ties_mean: float = _p(0.8, "ties/person", 0, 20, "E", "ties elsewhere in the grid/compound")
    kin_nearby_prob: float = _p(0.3, "probability", 0, 1, "E", "empty-nest elder has kin in the community")
    closure_rounds: int = _p(2, "rounds", 0, 10, "E", "friend-of-friend closure rounds at build")
    closure_prob: float = _p(0.25, "probability", 0, 1, "E", "chance per person per closure round")
    tie_use_week: float = _p(0.4, "probability/week", 0, 1, "E", "a neighbour tie is used in a week")
    tie_decay_week: float = _p(0.1, "weight/week", 0, 1, "E", "weight lost by an unused non-kin tie")
    tie_formation_week: float = _p(0.004, "probability/week", 0, 1, "E", "new acquaintance per person")
    service_tie_prob: float = _p(0.15, "probability", 0, 1, "E", "a completed service creates a tie")

    # --- needs (arrival rates) ---------------------------------------------
    rate_repair: float = _p(1.0, "needs/household/year", 0, 50, "E", "home repair or home help")
    rate_care: float = _p(0.01, "needs/day per care level", 0, 1, "E", "care visits")
    rate_meal: float = _p(0.03, "needs/day", 0, 1, "E", "meal delivery, elders who cannot cook")
    rate_tutoring: float = _p(0.005, "needs/day", 0, 1, "E", "tutoring, school-age children")
    rate_dispute: float = _p(0.3, "needs/household/year", 0, 20, "E", "neighbour disputes")
    alone_repair_multiplier: float = _p(3.0, "x", 0, 20, "E", "repair need of elders living alone")
    migrant_tutoring_multiplier: float = _p(2.0, "x", 0, 20, "E", "tutoring need of migrant children")

    # --- ordering and the loop ---------------------------------------------
    order_base: float = _p(-4.0, "logit/day", -10, 10, "E", "baseline daily chance to order")
    order_trust_weight: float = _p(2.0, "logit", 0, 10, "E", "effect of trust on ordering")
    order_awareness_weight: float = _p(1.5, "logit", 0, 10, "E", "effect of awareness on ordering")
    order_ties_weight: float = _p(0.5, "logit", 0, 10, "E", "effect of neighbour ties (0-5) on ordering")
    order_household_weight: float = _p(0.5, "logit", 0, 10, "E", "someone at home helps to order")
    elder_order_penalty: float = _p(
        1.0, "logit", 0, 10, "E", "people 60+ order less (app/phone ordering, not wanting to bother)"
    )
    order_wait_days: int = _p(7, "days", 1, 90, "E", "an undispatched order expires after this")
    hidden_lapse_days: int = _p(14, "days", 1, 180, "E", "an unreported need lapses after this")
    hours_repair: float = _p(1.5, "hours", 0.1, 24, "E", "provider time per repair / home help")
    hours_care: float = _p(1.0, "hours", 0.1, 24, "E", "provider time per care visit")
    hours_meal: float = _p(0.5, "hours", 0.1, 24, "E", "provider time per meal delivery")
    hours_tutoring: float = _p(1.5, "hours", 0.1, 24, "E", "provider time per tutoring session")
    hours_dispute: float = _p(2.0, "hours", 0.1, 24, "E", "provider time per mediation")
    repair_lag_days: int = _p(1, "days", 0, 30, "E", "accepted repair is done after this")
    neighbour_help_weight: float = _p(0.3, "kin-equivalents", 0, 1, "E", "a neighbour's help vs kin's")
    informal_help_prob: float = _p(0.04, "probability/day", 0, 1, "E", "kin/neighbours meet a hidden need")
    dispatch_rule: str = _p(
        "closed_loop", "rule", tag="A", doc="点单-派单-接单-评单 or weaker", choices=DISPATCH_RULES
    )
    adhoc_dispatch_prob: float = _p(0.5, "probability/day", 0, 1, "E", "ad hoc: order handled today")
    dispatch_candidates: int = _p(8, "providers", 1, 50, "E", "candidates considered per order")
    service_quality_noise: float = _p(0.15, "0-1 sd", 0, 1, "E", "spread of service quality")
    rating_satisfied_threshold: float = _p(
        0.25, "0-1", 0, 1, "E", "true quality above which a rating says satisfied"
    )
    satisfaction_update: float = _p(0.3, "weight", 0, 1, "E", "pull of one episode on satisfaction")
    satisfaction_baseline: float = _p(0.7, "0-1", 0, 1, "E", "satisfaction with no needs")
    isolation_satisfaction_penalty: float = _p(
        0.15, "0-1", 0, 1, "E", "lower baseline satisfaction with no tie outside the household"
    )
    satisfaction_recovery_month: float = _p(0.1, "share/month", 0, 1, "E", "drift back to baseline")
    trust_gain: float = _p(0.06, "trust/episode", 0, 1, "E", "good committee-arranged service")
    trust_loss: float = _p(0.08, "trust/episode", 0, 1, "E", "an order that expired unserved")
    awareness_gain_visit: float = _p(0.1, "awareness", 0, 1, "E", "a grid worker's visit")
    awareness_gain_service: float = _p(0.2, "awareness", 0, 1, "E", "being served")
    awareness_forget_month: float = _p(0.1, "share/month", 0, 1, "E", "awareness fades without use")
    awareness_diffusion_week: float = _p(0.05, "share/week", 0, 1, "E", "pull toward ties' awareness")

    # --- grid workers -------------------------------------------------------
    grid_workers_per_grid: float = _p(1.0, "workers/grid", 0, 10, "E", "网格员 per grid")
    grid_visits_per_worker_day: float = _p(4.0, "households/day", 0, 100, "E", "doorstep visits")
    grid_detect_prob: float = _p(0.7, "probability", 0, 1, "E", "a visit finds a hidden need")
    grid_vulnerable_weight: float = _p(2.0, "x", 1, 50, "E", "visit priority of elders alone")

    # --- volunteers -----------------------------------------------------------
    volunteer_registration: float = _p(0.10, "share of adults", 0, 1, "S", "registered volunteers")
    volunteer_active_share: float = _p(0.30, "share", 0, 1, "S", "registered who are active")
    volunteer_hours_month: float = _p(7.0, "hours/month", 0, 200, "S", "preferred hours")
    availability_multiplier: float = _p(1.5, "x", 1, 5, "E", "most hours a volunteer will give / preferred")
    retiree_hours_multiplier: float = _p(2.0, "x", 0, 10, "E", "retirees give more hours")
    volunteer_dropout_year: float = _p(0.33, "probability/year", 0, 1, "S", "background dropout")
    burnout_load: float = _p(1.3, "hours used/preferred", 0.5, 10, "E", "load above which burnout risk rises")
    burnout_prob: float = _p(0.25, "probability/month", 0, 1, "E", "dropout chance when overloaded")
    recognition: float = _p(0.5, "0-1", 0, 1, "E", "strength of the recognition scheme")
    recruitment_month: float = _p(0.003, "share of adults/month", 0, 0.2, "E", "new registrations")
    activation_month: float = _p(0.02, "probability/month", 0, 1, "E", "inactive volunteer returns")
    deactivation_month: float = _p(0.04, "probability/month", 0, 1, "E", "active volunteer rests")
    accept_base: float = _p(1.5, "logit", -10, 10, "E", "baseline acceptance of a dispatch")
    accept_notification_weight: float = _p(
        0.05, "logit/notification", 0, 5, "E", "notification fatigue (dispatches received this month)"
    )
    accept_distance_weight: float = _p(0.8, "logit/km", 0, 10, "E", "distance reluctance")

    # --- partner units ----------------------------------------------------------
    partner_units: int = _p(12, "units/community", 0, 200, "A", "大党委 member units")
    unit_sharing: str = _p(
        "subdistrict", "rule", tag="A",
        doc="which orders a unit may take: any in its subdistrict (街道大工委) or only its community's",
        choices=UNIT_SHARING,
    )  # fmt: skip
    unit_enterprise_share: float = _p(
        0.45,
        "share",
        0,
        1,
        "E",
        "enterprises among units (report: 312 of 638 party orgs are enterprises, 0.49)",
    )
    unit_hours_month: float = _p(16.0, "hours/month", 0, 1000, "E", "labour hours a unit offers")
    unit_accept_prob: float = _p(0.8, "probability", 0, 1, "E", "a unit accepts a dispatch")

    staff_accept_prob: float = _p(0.95, "probability", 0, 1, "E", "paid staff accept a dispatch")

    # --- five-society linkage and elderly care ----------------------------------
    five_society_linkage: int = _p(1, "on/off", 0, 1, "A", "五社联动: professional social workers take cases")
    social_workers: int = _p(2, "workers/community", 0, 50, "E", "social workers taking complex cases")
    social_worker_hours_month: float = _p(80.0, "hours/month", 0, 200, "E", "case hours per social worker")
    care_centre_staff: int = _p(2, "staff/community", 0, 50, "E", "elderly-care service centre staff")
    care_staff_hours_month: float = _p(100.0, "hours/month", 0, 200, "E", "home-care hours per staff")
    care_progression_year: float = _p(
        0.04, "probability/year at 75", 0, 1, "E", "care level rises (x2 per ~9 years of age)"
    )
    care_unmet_multiplier: float = _p(
        0.5, "x per unmet need", 0, 10, "E", "faster decline per unmet care/meal need last month"
    )
    activity_classes: int = _p(1, "on/off", 0, 1, "A", "senior-university and activity classes")
    class_enrolment: float = _p(0.08, "share of able elderly", 0, 1, "E", "elders enrolled in classes")
    class_tie_prob: float = _p(0.1, "probability/meeting", 0, 1, "E", "a class meeting starts a tie")
    markets_per_month: int = _p(2, "markets/month", 0, 30, "A", "neighbourhood markets")
    market_attendance: float = _p(0.1, "share of adults", 0, 1, "E", "adults attending a market")
    market_tie_prob: float = _p(0.05, "probability/meeting", 0, 1, "E", "a market meeting starts a tie")
    tutoring_programme: int = _p(1, "on/off", 0, 1, "A", "after-school tutoring for migrant children")
    mediation_team: int = _p(1, "on/off", 0, 1, "A", "volunteer mediation team for disputes")

    # --- community canteens -----------------------------------------------------
    canteens_per_community: int = _p(1, "canteens", 0, 5, "A", "a 230 m² canteen in idle office space")
    canteen_seats: int = _p(85, "seats", 0, 1000, "E", "80-90 seats in 230 m²")
    canteen_sittings: int = _p(3, "sittings/lunch", 1, 6, "E", "lunch sittings")
    canteen_price: float = _p(10.0, "yuan/meal", 0, 100, "A", "8-12 yuan a meal")
    canteen_elder_discount: float = _p(0.2, "share off", 0, 1, "S", "discount for ages 60+")
    canteen_subsidy: float = _p(2.0, "yuan/meal to 60+", 0, 100, "E", "government subsidy per elderly meal")
    canteen_quality: float = _p(0.6, "0-1", 0, 1, "E", "food and service quality")
    canteen_food_cost: float = _p(5.5, "yuan/meal", 0, 100, "E", "ingredients: 50-60 % of a 10-yuan meal")
    canteen_labour_day: float = _p(750.0, "yuan/day", 0, 20000, "E", "caterer's staff cost")
    canteen_loss_tolerance: float = _p(60000.0, "yuan", 0, 1e7, "E", "cumulative loss before closing")
    takeaway_price: float = _p(22.0, "yuan/meal", 0, 100, "E", "a delivered takeaway lunch")
    meal_cook_preference: float = _p(3.0, "utility", -10, 10, "E", "cooking at home (if able)")
    meal_canteen_preference: float = _p(2.6, "utility", -10, 10, "E", "canteen before price and distance")
    meal_takeaway_preference: float = _p(1.5, "utility", -10, 10, "E", "takeaway before price")
    meal_skip_preference: float = _p(-0.5, "utility", -10, 10, "E", "going without a proper meal")
    meal_price_weight: float = _p(0.25, "utility/yuan", 0, 5, "E", "price sensitivity (low income)")
    meal_distance_weight: float = _p(1.5, "utility/km", 0, 20, "E", "walking-distance reluctance")
    meal_peer_weight: float = _p(2.0, "utility", 0, 10, "E", "per share of ties eating there")
    delivery_distance_weight: float = _p(
        0.5, "logit/km", 0, 10, "E", "meal delivery: reluctance per km from the canteen"
    )
    meal_habit_weight: float = _p(1.0, "utility", 0, 10, "E", "repeat yesterday's choice")

    # --- employment: job platform and training ---------------------------------
    job_loss_month: float = _p(0.005, "probability/month", 0, 1, "E", "an employed resident loses the job")
    market_find_month: float = _p(0.08, "probability/month", 0, 1, "E", "a job-seeker finds work alone")
    job_platform: int = _p(1, "on/off", 0, 1, "A", "community job platform (五社联动)")
    platform_reach: float = _p(0.5, "share", 0, 1, "E", "job-seekers using the platform in a month")
    unit_vacancies_month: float = _p(0.2, "vacancies/unit/month", 0, 20, "E", "posted by enterprises")
    platform_market_vacancies_month: float = _p(1.5, "vacancies/month", 0, 100, "E", "from the talent market")
    training_projects_year: int = _p(6, "projects/year", 0, 52, "A", "seasonal training projects")
    training_size: int = _p(8, "trainees/project", 0, 200, "E", "job-seekers per training project")
    training_effect: float = _p(1.0, "x", 0, 10, "E", "extra placement chance while trained")
    training_effect_days: int = _p(180, "days", 0, 730, "E", "how long training helps")

    # --- 大党委 joint meetings and projects -------------------------------------
    joint_meetings_per_year: int = _p(4, "meetings/year", 0, 12, "S", "roughly quarterly")
    unit_money_year: float = _p(45000.0, "yuan/year", 0, 1e7, "E", "money budget of an enterprise unit")
    pledge_share: float = _p(0.3, "share of budget left", 0, 1, "E", "pledged at a meeting")
    reciprocity_weight: float = _p(0.15, "x per success", 0, 5, "E", "larger pledges after joint successes")
    project_needs_per_grid: float = _p(1.0, "projects/grid", 0, 20, "E", "needs list at start")
    project_needs_per_grid_year: float = _p(0.5, "projects/grid/year", 0, 20, "E", "new needs listed")
    project_cost_scale: float = _p(1.0, "x", 0, 100, "E", "multiplies the cost of every project")
    project_satisfaction_gain: float = _p(0.05, "satisfaction", 0, 1, "E", "residents of the compound")
    project_trust_gain: float = _p(0.05, "trust", 0, 1, "E", "residents of the compound")

    # --- costs -------------------------------------------------------------------
    grid_worker_cost_day: float = _p(160.0, "yuan/day", 0, 5000, "E", "wage of a grid worker")
    staff_cost_day: float = _p(200.0, "yuan/day", 0, 5000, "E", "wage of a social worker or care staff")
    dispatch_cost_order: float = _p(4.0, "yuan/order", 0, 500, "E", "staff time per dispatched order")
    unit_hour_value: float = _p(40.0, "yuan/hour", 0, 1000, "E", "value of donated unit labour")

    def __post_init__(self) -> None:
        self._check_district()
        for f in dataclasses.fields(self):
            _check_value(f, getattr(self, f.name))
        if self.households_per_grid < self.households_per_building:
            raise InputError(
                f"households_per_grid = {self.households_per_grid} is below households_per_building = "
                f"{self.households_per_building}: a grid holds whole buildings"
            )
        mix = sum(getattr(self, name) for name in HOUSEHOLD_TYPES)
        if abs(mix - 1.0) > 0.01:
            raise InputError(f"household shares hh_* sum to {mix:.3f}; they must sum to 1 (within 0.01)")

    def _check_district(self) -> None:
        """More communities than the district has: say the limit and what it would need."""
        first, n, hh = self.first_community, self.communities, self.households_per_community
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (first, n, hh)):
            return  # the type check of each field says what is wrong
        if 0 <= first < DISTRICT_COMMUNITIES and n >= 1 and first + n > DISTRICT_COMMUNITIES:
            residents, need = estimate_memory(n, hh)
            raise InputError(
                f"communities = {n} from first_community = {first} is more than Tiexi has: the limit is "
                f"first_community + communities <= {DISTRICT_COMMUNITIES} (the whole district: "
                f"communities = {DISTRICT_COMMUNITIES}); {n} communities would be ~{residents:,} residents "
                f"needing ~{need / 2**30:.1f} GiB"
            )

    def replace(self, **changes: Any) -> Params:
        """Return a copy with ``changes`` applied; unknown keys are rejected."""
        for key in changes:
            _spec(key)
        return dataclasses.replace(self, **changes)

    def with_strings(self, pairs: dict[str, str]) -> Params:
        """Apply ``key -> text`` overrides (from ``--set``), parsing each by its type."""
        return self.replace(**{k: parse_value(k, v) for k, v in pairs.items()})


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


# Parameters read only when the model is built (population, network, initial actors,
# facilities). Changing them mid-run would do nothing, so a param_change policy refuses them.
BUILD_ONLY = frozenset(
    {
        "communities",
        "first_community",
        "subdistricts",
        "households_per_community",
        "households_per_grid",
        "households_per_building",
        *HOUSEHOLD_TYPES,
        "migrant_household_share",
        "unemployment_rate",
        "inactive_share",
        "disabled_share_elderly",
        "mild_care_share_elderly",
        "non_cooking_share_elderly",
        "initial_trust",
        "initial_awareness",
        "building_ties_mean",
        "compound_ties_mean",
        "kin_nearby_prob",
        "closure_rounds",
        "closure_prob",
        "volunteer_registration",
        "volunteer_active_share",
        "partner_units",
        "social_workers",
        "social_worker_hours_month",
        "care_centre_staff",
        "care_staff_hours_month",
        "canteens_per_community",
        "canteen_seats",
        "canteen_sittings",
        "canteen_price",
        "canteen_elder_discount",
        "canteen_subsidy",
        "canteen_quality",
        "class_enrolment",
        "project_needs_per_grid",
    }
)


def _spec(key: str) -> dataclasses.Field:
    fields = {f.name: f for f in dataclasses.fields(Params)}
    if key not in fields:
        close = difflib.get_close_matches(key, fields, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(f"unknown parameter '{key}'{hint}; 'govsim params' lists them")
    return fields[key]


def allowed(f: dataclasses.Field) -> str:
    """Human description of what a parameter accepts."""
    m = f.metadata
    if m["choices"]:
        return "one of " + ", ".join(m["choices"])
    kind = "an integer" if f.type in ("int", int) else "a number"
    return f"{kind} in [{m['lo']}, {m['hi']}] {m['unit']}"


def _check_value(f: dataclasses.Field, value: Any) -> None:
    m = f.metadata
    ok_type = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
    }[f.type if isinstance(f.type, str) else f.type.__name__]
    if not ok_type(value):
        raise InputError(f"parameter '{f.name}' = {value!r}: expected {allowed(f)}")
    if m["choices"] and value not in m["choices"]:
        raise InputError(f"parameter '{f.name}' = {value!r}: expected {allowed(f)}")
    if m["lo"] is not None and not (m["lo"] <= value <= m["hi"]):
        raise InputError(f"parameter '{f.name}' = {value!r} is out of range: expected {allowed(f)}")


def check_like(param: str, value: Any, label: str) -> None:
    """Validate ``value`` by parameter ``param``'s type and range; errors name ``label``."""
    try:
        _check_value(_spec(param), value)
    except InputError as err:
        raise InputError(str(err).replace(f"parameter '{param}'", label)) from None


def parse_value(key: str, text: str) -> Any:
    """Parse ``text`` as the type of parameter ``key`` (for ``--set key=value``)."""
    from .argtypes import parse_number  # ASCII digits only

    f = _spec(key)
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind in ("int", "float"):
            return parse_number(text, integer=kind == "int")
    except ValueError:
        raise InputError(f"parameter '{key}' = {text!r}: expected {allowed(f)}") from None
    return text


def describe() -> list[dict[str, Any]]:
    """Every parameter as a record: name, default, unit, range, tag, doc."""
    rows = []
    for f in dataclasses.fields(Params):
        m = f.metadata
        rng = "|".join(m["choices"]) if m["choices"] else f"[{m['lo']}, {m['hi']}]"
        rows.append(
            {
                "name": f.name,
                "default": f.default,
                "unit": m["unit"],
                "range": rng,
                "tag": m["tag"],
                "doc": m["doc"],
            }
        )
    return rows
