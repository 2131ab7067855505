"""Two languages: every message id in both catalogues, the report's terms, --lang and the fallbacks."""

from __future__ import annotations

import string

import pytest

from sim import i18n, metrics
from sim.cli import main
from sim.errors import InputError
from sim.experiments.scenario import available, load_scenario, note_fallbacks, parse_scenario


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_message_id_has_both_languages_with_the_same_placeholders():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    assert set(en) == set(zh), set(en) ^ set(zh)
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert _fields(en[key]) == _fields(zh[key]), key


def test_every_outcome_group_and_unit_has_a_label_in_both_languages():
    for lang in i18n.LANGS:
        for m in metrics.METRICS:
            assert i18n.has(f"outcome.{m.name}", lang), (lang, m.name)
            assert i18n.has(f"unit.{m.unit}", lang), (lang, m.unit)
        for g in metrics.GROUPS:
            assert i18n.has(f"group.{g}", lang), (lang, g)


def test_chinese_catalogue_uses_the_glossary_terms():
    g = i18n.glossary()
    assert all(entry["zh"] and entry["en"] for entry in g.values())
    zh = i18n.catalogue("zh")
    for metric, term in (
        ("orders", "order"),
        ("dispatched", "dispatch"),
        ("accepted", "accept"),
        ("rated", "rate"),
    ):
        assert zh[f"outcome.{metric}"] == g[term]["zh"]
    assert g["closed_loop"]["zh"] in zh["dashboard.dispatch_rule"]
    assert g["five_society_linkage"]["zh"] in zh["dashboard.five_society_linkage"]
    assert g["big_party_committee"]["zh"] in zh["dashboard.partner_units"]
    assert g["canteen"]["zh"] in zh["brief.canteens"]
    assert g["elderly_alone"]["zh"] == zh["group.elderly_alone"]


def test_language_comes_from_the_flag_then_the_environment_then_the_locale():
    assert i18n.resolve("zh", {}) == "zh"
    assert i18n.resolve(None, {"GOVSIM_LANG": "zh", "LANG": "en_US.UTF-8"}) == "zh"
    assert i18n.resolve(None, {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.resolve(None, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.resolve(None, {}) == "en"
    with pytest.raises(InputError, match="GOVSIM_LANG 'fr' is not allowed: expected one of en, zh"):
        i18n.resolve(None, {"GOVSIM_LANG": "fr"})


@pytest.mark.parametrize("argv", [["--lang", "fr", "params"], ["params", "--lang=klingon"]])
def test_unknown_lang_exits_2_with_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--lang" in err and "en, zh" in err and "Traceback" not in err


def test_run_summary_in_chinese(tmp_path, capsys):
    try:
        assert main(["--lang", "zh", "run", "--days", "3", "--out", str(tmp_path)]) == 0
    finally:
        i18n.set_lang("en")
    out = capsys.readouterr().out
    assert "独居老人" in out and "未满足需求" in out and "居民" in out and "unmet" not in out.lower()


def test_every_scenario_file_has_both_languages():
    for name in available():
        s = load_scenario(name)
        assert s.missing == (), name
        assert s.text("zh")[0] != s.text("en")[0] or name == s.text("en")[0], name
        assert any("\u4e00" <= c <= "\u9fff" for c in s.text("zh")[1]), name


def test_a_label_missing_in_one_language_falls_back_with_one_note(capsys):
    s = parse_scenario({"name": "x", "label": "Only English", "description": "Text."}, "x.toml", "x")
    assert s.text("zh") == ("Only English", "Text.")
    lines = note_fallbacks(s, "zh")
    assert len(lines) == 2 and all(
        "x.toml" in ln and "label_zh" in ln or "description_zh" in ln for ln in lines
    )
    assert note_fallbacks(s, "en") == []
    z = parse_scenario({"name": "y", "label_zh": "只有中文"}, "y.toml", "y")
    assert z.text("en")[0] == "只有中文" and "label" in z.missing


def test_every_glossary_term_is_in_the_sources_glossary():
    from pathlib import Path

    table = (Path(__file__).parents[1] / "docs" / "sources.md").read_text(encoding="utf-8")
    glossary = table[table.index("## Glossary of the report's terms") :]
    missing = [e["zh"] for e in i18n.glossary().values() if e["zh"] not in glossary]
    assert missing == []
