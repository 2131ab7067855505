"""Two languages: every message id in both catalogues, the report's terms, --lang and the fallbacks."""

from __future__ import annotations

import argparse
import re
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


# --- the command lines' help and argparse's own words (sim.i18n.cmdline) ----------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# a command in backquotes (`make calibrate`), a path (sim/data/priors.toml, scenarios/), a
# dotted name (sim.params.describe, 127.0.0.1) or a file suffix (.toml)
PATHLIKE = re.compile(r"`[^`]*`|\S*/\S*|\w*(?:\.\w+)+")
# names the Chinese help keeps as they are: products, formats and fields of machine-readable output
PROPER = {"Parquet", "Dask", "Mesa", "SolaraViz", "Morris", "SALib", "JSON", "markdown", "TOML", "SHA"}
PROPER |= {"GOVSIM_LANG", "govsim", "python", "doc", "doc_zh", "definition", "definition_zh"}


def _parsers(parser: argparse.ArgumentParser) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every parser reachable from ``parser``, by the subcommand words that reach it."""
    out = {(): parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out |= {(name, *k): p for k, p in _parsers(sub).items()}
    return out


def _names_in(parser: argparse.ArgumentParser) -> set[str]:
    """Words a help text may show untranslated: the parser's program name, option strings,
    metavars, destinations and choices (of it and its subparsers), parameter and scenario names."""
    from sim.params import describe

    texts = [parser.prog]
    for p in _parsers(parser).values():
        texts.append(p.prog)
        for a in p._actions:
            texts += [*a.option_strings, str(a.dest), str(a.dest).upper(), str(a.metavar or "")]
            texts += [str(c) for c in (a.choices or ())]
    texts += [r["name"] for r in describe()] + list(available())
    return {w for text in texts for w in WORD.findall(text)} | PROPER


def untranslated(text: str, allowed: set[str]) -> list[str]:
    """English words of four or more letters in ``text`` that are not names the help may keep."""
    found = []
    for line in text.splitlines():
        line = PATHLIKE.sub(" ", line)
        found += [w for w in WORD.findall(line) if len(w) >= 4 and w not in allowed]
    return found


def _help(argv: list[str], capsys, entry=main) -> str:
    try:
        with pytest.raises(SystemExit) as done:
            entry(argv)
    finally:
        i18n.set_lang("en")
    assert done.value.code == 0
    return capsys.readouterr().out


def _commands() -> list[tuple[str, ...]]:
    from sim.cli import build_parser

    return sorted(_parsers(build_parser()))


@pytest.mark.parametrize("command", _commands(), ids=lambda c: " ".join(c) or "govsim")
@pytest.mark.parametrize("how", ["flag", "env"])
def test_every_help_is_chinese_under_zh(command, how, capsys, monkeypatch):
    from sim.cli import build_parser

    monkeypatch.setenv("COLUMNS", "80")
    argv = [*command, "--help"]
    if how == "flag":
        argv = ["--lang", "zh", *argv]
    else:
        monkeypatch.setenv("GOVSIM_LANG", "zh")
    out = _help(argv, capsys)
    allowed = _names_in(build_parser())
    assert untranslated(out, allowed) == [], out
    assert out.startswith("用法：govsim") and "显示本帮助信息并退出" in out and "选项" in out
    assert len(CJK.findall(out)) >= 10, out
    assert max(i18n.display_width(line) for line in out.splitlines()) <= 80, out  # wrapped by columns
    monkeypatch.delenv("GOVSIM_LANG", raising=False)
    english = _help([*command, "--help"], capsys)  # the check finds English where it is
    assert english.startswith("usage: govsim") and "show this help message and exit" in english
    assert untranslated(english, allowed) and not CJK.search(english)


@pytest.mark.parametrize(
    "module", ["sim.screening", "sim.priors", "sim.validation", "sim.docgen", "sim.calibration"]
)
def test_module_command_lines_help_in_chinese(module, capsys):
    import importlib

    mod = importlib.import_module(module)
    out = _help(["--lang", "zh", "--help"], capsys, mod.main)
    assert untranslated(out, _names_in(mod._parser())) == [], out
    assert out.startswith(f"用法：python -m {module}") and len(CJK.findall(out)) >= 10


def test_argparse_catalogue_holds_argparse_messages_with_their_placeholders():
    """en.toml's [argparse] texts are messages of this Python's argparse, verbatim; zh keeps
    their %-placeholders."""
    import inspect

    source = inspect.getsource(argparse)
    placeholders = re.compile(r"%(?:\(\w+\))?[sr]")
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    keys = [k for k in en if k.startswith("argparse.")]
    assert len(keys) >= 20
    for key in keys:
        assert en[key].encode("unicode_escape").decode() in source, key
        assert sorted(placeholders.findall(en[key])) == sorted(placeholders.findall(zh[key])), key
        assert CJK.search(zh[key]), key


def test_chinese_wraps_by_columns_and_never_starts_a_line_with_closing_punctuation():
    from sim.i18n.cmdline import wrap

    text = "表格、消息、图表、简报和看板的语言：en 或 zh（默认取 GOVSIM_LANG，其次取系统区域设置，否则为 en）"
    lines = wrap(text, 30)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(i18n.display_width(ln) <= 30 + 2 for ln in lines) and len(lines) >= 3
    assert not any(ln[0] in "，。、；：）" for ln in lines)
    assert wrap("plain English words", 10) == ["plain", "English", "words"]


def test_argparse_is_restored_after_the_block():
    from sim.i18n.cmdline import argparse_language

    before = argparse._, argparse.ngettext
    with argparse_language("zh"):
        assert argparse._("usage: ") == "用法："
        assert argparse.ngettext("expected %s argument", "expected %s arguments", 2) == "需要 %s 个值"
        assert argparse._("a message it does not know") == "a message it does not know"
    assert (argparse._, argparse.ngettext) == before and argparse._("usage: ") == "usage: "


USAGE_ERRORS = {
    "bad integer": (["compare", "baseline", "--reps", "x"], ["--reps", "'x'", "参数", "整数"]),
    "missing argument": (["compare", "baseline"], ["--out", "缺少必需的参数"]),
    "missing value": (["compare", "baseline", "--out", "o", "--reps"], ["--reps", "需要一个值"]),
    "invalid choice": (["run", "--format", "xml", "--out", "o"], ["--format", "'xml'", "无效选项", "可选"]),
    "unknown subcommand": (["bogus"], ["'bogus'", "无效选项"]),
    "unrecognised option": (["params", "--what"], ["--what", "无法识别的参数"]),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_errors_in_chinese_are_one_line_with_exit_2(case, capsys):
    argv, words = USAGE_ERRORS[case]
    try:
        assert main(["--lang", "zh", *argv]) == 2
    finally:
        i18n.set_lang("en")
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("govsim：错误：") and captured.out == "", err
    assert all(w in err for w in words), (words, err)
    assert main(argv) == 2
    english = capsys.readouterr().err
    assert english.startswith("govsim: error: ") and english.count("\n") == 1 and not CJK.search(english)


def test_module_command_line_usage_error_in_chinese(capsys, monkeypatch):
    from sim import screening

    monkeypatch.setenv("GOVSIM_LANG", "zh")
    try:
        assert screening.main(["--r", "x"]) == 2
    finally:
        i18n.set_lang("en")
    err = capsys.readouterr().err
    assert err == "govsim：错误：参数 --r：无效的 int 值：'x'\n"


# --- the Python API's errors ------------------------------------------------------------------


def _api_errors(tmp_path) -> dict:
    """Bad calls of the Python API, each with the words its message must hold in any language."""
    from sim import analysis, ema, priors
    from sim.experiments import sensitivity
    from sim.model import GovModel, resolve_seed
    from sim.params import Params

    bad = tmp_path / "priors.toml"
    bad.write_text("schema = [", encoding="utf-8")
    table = priors.load_priors()
    fixed = next(n for n, p in table.items() if not p.uncertain)
    TINY_MODEL = Params(households_per_community=50, spinup_days=0)
    return {
        "priors sample size": (lambda: priors.sample(0, seed=1), ["n = 0"]),
        "sobol": (lambda: priors.sample(3, seed=1, method="sobol"), ["sobol", "3"]),
        "fixed prior": (lambda: priors._names([fixed], table), [fixed]),
        "malformed priors": (lambda: priors.load_priors(bad), [str(bad), "TOML"]),
        "missing priors": (lambda: priors.load_priors(tmp_path / "none.toml"), ["none.toml"]),
        "not numeric": (lambda: analysis.bounds("dispatch_rule"), ["dispatch_rule"]),
        "names and values": (lambda: analysis.changes_at(["trust_gain"], [1, 2]), ["1", "2"]),
        "seed": (lambda: resolve_seed(-1, None, Params()), ["seed", "-1"]),
        "days": (lambda: GovModel(TINY_MODEL).run(-2), ["days", "-2"]),
        "sensitivity": (lambda: sensitivity.problem(["communities"]), ["communities"]),
        "ema outcome": (lambda: ema.outcomes(["no_such_outcome"]), ["no_such_outcome"]),
    }


@pytest.mark.parametrize(
    "case",
    [
        "priors sample size",
        "sobol",
        "fixed prior",
        "malformed priors",
        "missing priors",
        "not numeric",
        "names and values",
        "seed",
        "days",
        "sensitivity",
        "ema outcome",
    ],
)
def test_api_errors_in_chinese_and_english(case, tmp_path):
    call, words = _api_errors(tmp_path)[case]
    for lang in ("zh", "en"):
        with i18n.use(lang), pytest.raises(InputError) as err:
            call()
        message = str(err.value)
        assert "\n" not in message and all(w in message for w in words), (lang, message)
        if lang == "zh":
            assert CJK.search(message), message
        else:
            assert not CJK.search(message) and untranslated(message, set()), message
