"""The planner brief: a summary built from the numbers, the smallest difference that matters, honest
cost items, plots whose Chinese renders, and the Chinese brief in a real browser."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim import fonts, i18n
from sim.experiments import costs, plots
from sim.experiments.brief import MIN_REPS, summary_sentences
from sim.experiments.scenario import load_scenario, parse_scenario
from sim.experiments.stats import outcome, paired_differences, verdict

REPS = 8
OUTCOMES = ["unmet_need_rate", "trust", "residents_served", "cost_yuan"]


def _table(effect: float, cost: float) -> pd.DataFrame:
    """Eight replications of a reference and a policy: the policy lowers unmet need of elders living
    alone by ``effect`` (a share) and everyone's a fifth of that, and costs ``cost`` yuan more."""
    rng = np.random.default_rng(4)
    rows = []
    for rep in range(REPS):
        noise = rng.normal(0, 0.002)
        base = {
            "unmet_need_rate": 0.12 + noise,
            "unmet_need_rate.elderly_alone": 0.20 + noise,
            "unmet_need_rate.migrant_children": 0.10 + noise,
            "unmet_need_rate.job_seekers": 0.10 + noise,
            "trust": 0.6 + noise,
            "residents_served": 1500.0 + 100 * noise,
            "cost_yuan": 100_000.0 + 1e5 * noise,
            "volunteer_hours": 900.0,
            "unit_hours": 200.0,
            "expired": 300.0,
            "lapsed": 100.0,
        }
        rows.append({"scenario": "ref", "rep": rep, **base})
        policy = dict(base)
        policy["unmet_need_rate.elderly_alone"] -= effect
        policy["unmet_need_rate"] -= effect / 5
        policy["residents_served"] += 2000 * effect
        policy["cost_yuan"] += cost
        policy["expired"] -= 1000 * effect
        rows.append({"scenario": "pol", "rep": rep, **policy})
    return pd.DataFrame(rows)


def _comparison(effect: float, cost: float):
    ref = parse_scenario({"name": "ref", "label": "Today", "label_zh": "现状"}, "ref.toml", "ref")
    text = {"label": "Elder visits", "label_zh": "探访老人", "description": "More visits to elders"}
    pol = parse_scenario({"name": "pol", **text, "description_zh": "更多探访独居老人"}, "pol.toml", "pol")
    table = _table(effect, cost)
    diffs = paired_differences(table, "ref", OUTCOMES)
    comp = SimpleNamespace(
        diffs=diffs, reference=ref, scenarios=[ref, pol], days=365, reps=REPS, table=table,
        labels={"ref": ref.title, "pol": pol.title},
    )  # fmt: skip
    extra = costs.extra_costs(costs.items_table(table, [ref, pol], 365), "ref")
    return comp, extra, pol


@pytest.fixture(autouse=True)
def english():
    i18n.set_lang("en")
    yield
    i18n.set_lang("en")


def test_summary_says_who_gains_and_what_it_costs():
    comp, extra, pol = _comparison(effect=0.1, cost=50_000)
    text = " ".join(summary_sentences(comp, extra, pol))
    assert "it improves Unmet need (-2.00 pp" in text
    assert "Groups that gain: elderly living alone." in text and "lose" not in text
    assert "It costs 50,000 yuan more over the 365 days" in text and "grid workers, paid staff" in text
    assert "yuan per extra resident served" in text and "yuan per unmet need avoided" in text
    assert f"{REPS} paired replications" in text and "Not sure" not in text
    with i18n.use("zh"):
        zh = "".join(summary_sentences(comp, extra, pol))
    assert "探访老人：更多探访独居老人。" in zh and "受益群体：独居老人。" in zh and "多花 50,000 元" in zh


def test_summary_of_a_difference_below_what_matters_says_no_practical_difference():
    comp, extra, pol = _comparison(effect=5e-5, cost=0)
    row = comp.diffs[(comp.diffs.outcome == "unmet_need_rate") & (comp.diffs.group == "all")].iloc[0]
    assert row.excludes_zero and row.verdict == "none"  # clear of zero, but 0.001 pp is not a change
    text = " ".join(summary_sentences(comp, extra, pol))
    assert "no headline outcome changes by more than the smallest difference that matters" in text
    assert "No group of residents gains or loses" in text and "Its cost does not change." in text


def test_verdict_needs_both_a_clear_interval_and_the_smallest_difference():
    m = outcome("unmet_need_rate")
    assert m.mid == 0.01 and m.mid_why
    assert verdict(-0.02, -0.03, -0.01, m) == "better"
    assert verdict(+0.02, +0.01, +0.03, m) == "worse"
    assert verdict(-0.005, -0.006, -0.004, m) == "none"  # clear of zero, too small
    assert verdict(-0.02, -0.05, +0.01, m) == "none"  # large, not clear of zero
    assert verdict(5.0, 4.0, 6.0, outcome("volunteer_hours")) == "input"
    served = outcome("residents_served")
    assert served.smallest_difference(10_000) == pytest.approx(100)  # 1 % of the level


def test_cost_items_add_up_to_the_total():
    comp, extra, _ = _comparison(effect=0.1, cost=50_000)
    items = costs.items_table(comp.table, comp.scenarios, comp.days)
    assert np.allclose(items[list(costs.TOTAL_ITEMS)].sum(axis=1), items.total)
    r = extra.iloc[0]
    assert sum(r[k] for k in costs.TOTAL_ITEMS) == pytest.approx(r.total)
    assert r.total == pytest.approx(50_000) and r.staff == pytest.approx(50_000)


def test_a_new_canteen_costs_its_fit_out():
    s = load_scenario("extra_canteen")
    params = s.build()[0]
    assert costs.new_canteens(s, 365) == params.communities
    assert costs.new_canteens(s, days=0) == 0  # a canteen opening after the run costs nothing in it
    assert costs.new_canteens(load_scenario("baseline"), 365) == 0
    row = pd.Series({"cost_yuan": 1000.0, "canteen_meals_per_day": 100.0, "canteen_subsidy_per_meal": 0.5,
                     "canteen_cost_recovery": 0.7, "canteen_cost_recovery_with_subsidy": 0.8})  # fmt: skip
    items = costs.run_items(row, params, 10, costs.new_canteens(s, 10))
    assert items["fitout"] == params.canteen_fitout_yuan * params.communities > 0
    assert items["subsidy"] == pytest.approx(500) and items["running"] == pytest.approx(5000)
    assert items["operator_losses"] == pytest.approx(1000)  # 20 % of running costs not covered
    assert items["staff"] == pytest.approx(500)


def _glyph_warnings(fn) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [
        str(w.message) for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)
    ]


def test_chinese_plots_save_to_png_and_svg_without_missing_glyphs(tmp_path):
    if fonts.cjk_font() is None:
        pytest.skip("no CJK font: the project's font dependency is not installed")
    comp, _, _ = _comparison(effect=0.1, cost=50_000)
    with i18n.use("zh"):
        labels = {s.name: s.title for s in comp.scenarios}
        assert labels["pol"] == "探访老人"
        figs = {"forest": plots.forest(comp.diffs, labels, OUTCOMES),
                "equity": plots.equity(comp.diffs, labels, ["unmet_need_rate"])}  # fmt: skip
    # saved outside the language block and outside the plot's rc_context: the fonts must stay
    for stem, fig in figs.items():
        assert _glyph_warnings(lambda fig=fig, stem=stem: plots.save(fig, tmp_path / stem)) == []
        assert (tmp_path / f"{stem}.png").stat().st_size > 10_000
        svg = (tmp_path / f"{stem}.svg").read_text()
        cjk = fonts.cjk_font().stem.split("-")[0]
        assert svg.count(f'id="{cjk}') >= 10  # the Chinese glyphs are drawn from the CJK font
    # drawn as a notebook would, with matplotlib's defaults and no govsim context around it
    direct = _glyph_warnings(lambda: figs["forest"].savefig(tmp_path / "direct.png", format="png"))
    assert direct == []
    texts = [t.get_text() for t in figs["forest"].findobj(lambda a: hasattr(a, "get_text"))]
    assert any("与现状的配对差值" in t for t in texts)


def test_without_a_cjk_font_chinese_falls_back_to_english_with_one_warning():
    code = (
        "from sim import fonts, i18n; import sys;"
        "print(fonts.output_lang('zh'), fonts.output_lang('zh'), fonts.output_lang('en'))"
    )
    env = {**os.environ, fonts.ENV: "none"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert r.stdout.split() == ["en", "en", "en"]
    assert r.stderr.count("\n") == 1 and "warning" in r.stderr.lower() and "Traceback" not in r.stderr


def test_tick_labels_stay_short_for_tiny_and_huge_values():
    assert plots.tick_text(0.000012345) == "1.23e-05"
    assert plots.tick_text(2_345_678) == "2.35M" and plots.tick_text(45_600) == "45.6k"
    assert plots.tick_text(1200) == "1,200"
    assert plots.tick_text(0) == "0" and plots.tick_text(-0.25) == "-0.25"


def test_the_brief_asks_for_enough_replications():
    assert MIN_REPS >= 8


# --- the Chinese brief in a real browser ------------------------------------------------------------
SAMPLES = ("政策简报要点", "第二社区食堂")  # same length, different characters, all on the page


def _shots(page, sample: str) -> bytes:
    page.evaluate("t => { document.getElementById('title').textContent = t; }", sample)
    return page.locator("#title").screenshot()


def _system_has_cjk() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # cannot tell: skip the control
    return bool(out.strip())


@pytest.mark.slow
def test_chinese_brief_renders_cjk_text_in_chromium(tmp_path):
    from test_dashboard import FLAGS, _chromium

    from sim.cli import main

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    path = _chromium()
    if path is None:
        pytest.skip("Chromium is not installed and could not be installed (needs root and apt-get)")
    if fonts.cjk_font() is None:
        pytest.skip("no CJK font: the project's font dependency is not installed")
    out = tmp_path / "out"
    args = ["--lang", "zh", "compare", "baseline", "extra_canteen", "--reps", "2", "--days", "20"]
    assert main([*args, "--workers", "1", "--quiet", "--out", str(out)]) == 0
    page_html = next(out.rglob("brief.html")).read_text()
    assert '<html lang="zh-CN">' in page_html and "@font-face" in page_html
    assert "要点" in page_html and 'id="few-reps"' in page_html and "社区食堂" in page_html
    # the same page without the embedded font: what a machine without CJK fonts would show
    bare = (
        page_html.replace('"govsim CJK", ', "").split("@font-face")[0]
        + "body{"
        + page_html.split("\nbody{", 1)[1]
    )
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.set_content(page_html)
        page.wait_for_function("document.fonts.status === 'loaded'")
        assert page.evaluate("document.fonts.check('20px \"govsim CJK\"', '点单')")
        assert "政策简报" in page.inner_text("h1") and page.locator("#few-reps").is_visible()
        a, b = (_shots(page, s) for s in SAMPLES)
        assert a != b, "different characters draw differently: real glyphs, not .notdef boxes"
        page.screenshot(path=tmp_path / "brief_zh.png", full_page=True)
        page.set_content(bare)
        tofu_a, tofu_b = (_shots(page, s) for s in SAMPLES)
        browser.close()
    assert errors == []
    assert a != tofu_a
    if not _system_has_cjk():  # the control: without the font every character is the same box
        assert tofu_a == tofu_b
