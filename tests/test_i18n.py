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


def test_every_parameter_and_metric_has_a_chinese_description_and_no_stale_keys():
    from sim.params import describe

    zh = i18n.descriptions("zh")
    params = {r["name"] for r in describe()}
    names = {m.name for m in metrics.registry()}
    assert set(zh["param"]) == params, set(zh["param"]) ^ params
    assert set(zh["metric"]) == names, set(zh["metric"]) ^ names
    for text in [*zh["param"].values(), *zh["metric"].values()]:
        assert text.strip() and any("\u4e00" <= c <= "\u9fff" for c in text), text


def test_params_and_metrics_lists_in_chinese(capsys):
    import json

    try:
        assert main(["--lang", "zh", "params"]) == 0
        out = capsys.readouterr().out
        assert "构建的社区数（193 = 铁西区全区）" in out and "communities built" not in out
        assert main(["metrics", "--lang", "zh"]) == 0
        out = capsys.readouterr().out
        assert "网格员走访发现的隐性需求" in out and "hidden needs found" not in out
        assert main(["--lang", "zh", "params", "--json"]) == 0
        row = json.loads(capsys.readouterr().out)[0]  # machine-readable: both languages, always
        assert row["doc"] == "communities built (193 = Tiexi)" and row["doc_zh"].startswith("构建的社区数")
        assert main(["--lang", "en", "metrics", "--json"]) == 0
        m = json.loads(capsys.readouterr().out)["metrics"][0]
        assert m["definition"] == "needs that arose" and m["definition_zh"] == "产生的需求"
    finally:
        i18n.set_lang("en")


def _bad_inputs(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "broken\n', encoding="utf-8")
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    out = str(tmp_path / "out")
    run = ["run", "--days", "3", "--quiet", "--out", out]
    return {
        "unknown parameter": (
            run + ["--set", "canteen_pric=3"],
            ["canteen_pric", "未知参数", "canteen_price"],
        ),
        "out of range": (run + ["--set", "canteen_price=300"], ["canteen_price", "300", "超出范围"]),
        "wrong type": (run + ["--set", "communities=abc"], ["communities", "'abc'", "整数"]),
        "bad choice": (run + ["--set", "dispatch_rule=fast"], ["dispatch_rule", "'fast'", "之一"]),
        "malformed TOML": (["compare", "baseline", str(bad), "--out", out], ["bad.toml", "TOML 格式错误"]),
        "unknown scenario": (["compare", "baseline", "nosuch", "--out", out], ["nosuch", "情景", "可用情景"]),
        "empty --out": (["run", "--days", "3", "--out", ""], ["--out", "文件夹路径"]),
        "--out a file": (["run", "--days", "3", "--quiet", "--out", str(a_file)], ["a_file", "不是文件夹"]),
        "bad --days": (["run", "--days", "0", "--out", out], ["--days", "'0'", "整数"]),
        "missing --out": (["run", "--days", "3"], ["--out", "缺少"]),
    }


@pytest.mark.parametrize("how", ["flag", "env"])
@pytest.mark.parametrize(
    "case",
    [
        "unknown parameter",
        "out of range",
        "wrong type",
        "bad choice",
        "malformed TOML",
        "unknown scenario",
        "empty --out",
        "--out a file",
        "bad --days",
        "missing --out",
    ],
)
def test_bad_input_in_chinese_is_one_line_and_exit_2(case, how, tmp_path, capsys, monkeypatch):
    argv, words = _bad_inputs(tmp_path)[case]
    if how == "flag":
        argv = ["--lang", "zh", *argv]
    else:
        monkeypatch.setenv("GOVSIM_LANG", "zh")
    try:
        assert main(argv) == 2
    finally:
        i18n.set_lang("en")
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("govsim：错误：") and "Traceback" not in err, err
    assert all(w in err for w in words), (words, err)
    assert captured.out == ""


def test_bad_input_in_english_is_unchanged(tmp_path, capsys):
    argv, _ = _bad_inputs(tmp_path)["unknown parameter"]
    assert main(["--lang", "en", *argv]) == 2
    err = capsys.readouterr().err
    expected = "govsim: error: unknown parameter 'canteen_pric' (did you mean 'canteen_price'?); "
    assert err == expected + "'govsim params' lists them\n"
