"""The dashboard: its command refuses remote hosts, its model reports bad input, and in a real
browser (headless Debian Chromium driven by Playwright) a slider, Reset and Step change the charts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from sim.cli import main
from sim.dashboard import cli as dashboard_cli
from sim.dashboard.levers import LEVERS, build_params, model_params
from sim.errors import InputError
from sim.params import Params

pytestmark = pytest.mark.slow  # make check skips this module

CHROMIUM = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
# Flags for a root, sandbox-less, offline machine (docs/design.md): without the background-networking
# flags Chromium keeps trying to reach Google's hosts and the closed network refuses it.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


# --- the command ----------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.invalid"])
def test_refuses_a_non_loopback_host_without_allow_remote(host, capsys):
    assert main(["dashboard", "--host", host, "--port", "8799"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--allow-remote" in err and "Traceback" not in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_are_allowed(host):
    assert dashboard_cli.is_loopback(host)


def test_allow_remote_lifts_the_refusal():
    dashboard_cli.check("0.0.0.0", _free_port(), allow_remote=True)  # no error: binds and releases


def test_bad_port_and_busy_port_are_one_line_errors(capsys):
    assert main(["dashboard", "--port", "70000"]) == 2
    assert "port number" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(InputError, match="cannot listen"):
            dashboard_cli.check("127.0.0.1", s.getsockname()[1], allow_remote=False)


# --- the levers -----------------------------------------------------------------------------
def test_every_control_is_a_parameter_within_its_declared_range():
    specs = model_params()
    assert set(LEVERS) < set(specs)
    for name, spec in specs.items():
        if name in LEVERS and "min" in spec:
            Params().replace(**{name: type(getattr(Params(), name))(spec["min"])})
            Params().replace(**{name: type(getattr(Params(), name))(spec["max"])})
    params, errors = build_params({k: v["value"] for k, v in specs.items() if k in LEVERS})
    assert errors == [] and params == Params()


def test_bad_values_are_reported_one_line_each_and_the_rest_applies():
    params, errors = build_params(
        {"partner_units": 500, "recognition": 0.8}, extra="trust_gain=7, canteen_price=12; nonsense"
    )
    assert params.partner_units == Params().partner_units and params.recognition == 0.8
    assert params.canteen_price == 12.0 and params.trust_gain == Params().trust_gain
    assert len(errors) == 3 and all("\n" not in e for e in errors)
    assert any("'partner_units' = 500 is out of range" in e for e in errors)
    assert any("'trust_gain' = 7.0 is out of range" in e for e in errors)
    assert any("expected KEY=VALUE" in e for e in errors)


def test_dashboard_model_runs_without_the_rejected_value():
    from sim.dashboard.app import DashboardModel

    model = DashboardModel(seed=3, partner_units=-1, five_society_linkage=False, extra="unknwn=1")
    assert model.params.five_society_linkage == 0 and model.params.partner_units == 12
    assert any("partner_units" in e for e in model.input_errors)
    assert any("unknown parameter 'unknwn'" in e for e in model.input_errors)
    model.run(3)
    table = model.datacollector.get_model_vars_dataframe()
    assert len(table) == 3 and "unmet_need_rate.elderly_alone_day" in table


# --- a real browser -------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium() -> str | None:
    """Debian's Chromium, installed with apt-get when missing and we are root (as in CI)."""
    found = next((p for p in CHROMIUM if os.path.exists(p)), None)
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        subprocess.run(cmd, capture_output=True, env=env, timeout=600, check=False)
    return next((p for p in CHROMIUM if os.path.exists(p)), None)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    pytest.importorskip("solara", reason="the dashboard needs the viz extra")
    path = _chromium()
    if path is None:
        pytest.skip("Chromium is not installed and could not be installed (needs root and apt-get)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "dashboard", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dashboard exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("dashboard did not start listening within 90 s")
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    try:
        proc.wait(timeout=2)  # uvicorn's graceful shutdown waits for open websockets
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


_DIGESTS = """async () => Promise.all([...document.querySelectorAll('img')].map(async (img) => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let h = 0;
    for (const x of bytes) h = (Math.imul(h, 31) + x) >>> 0;
    return `${bytes.length}:${h}`;
}))"""


def _wait_text(page, text: str, timeout_ms: int = 60_000) -> None:
    page.wait_for_function("t => document.body.innerText.includes(t)", arg=text, timeout=timeout_ms)


def _charts(page, differs_from: list[str] | None = None) -> list[str]:
    """A digest of each image's bytes (network and three charts), once two reads agree
    (and, if given, differ from ``differs_from``: the page may not have re-rendered yet)."""
    last = None
    for _ in range(60):
        now = page.evaluate(_DIGESTS)
        if now == last and len(now) == 4 and now != differs_from:
            return now
        last = now
        page.wait_for_timeout(250)
    return last


def _watched(browser) -> tuple:
    """A page that records console errors and failed requests (status >= 400, or none at all)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
    return page, problems


def test_slider_reset_and_step_change_the_charts(browser, server, tmp_path):
    page, problems = _watched(browser)
    page.goto(server)
    _wait_text(page, "days simulated: 0")
    start = _charts(page)
    # A lever: partner units per community to the slider's maximum, applied by Reset.
    page.get_by_role("slider", name="Partner units per community (大党委)").focus()
    page.keyboard.press("End")
    page.get_by_role("button", name="Reset").click()
    _wait_text(page, f"Partner units per community: {LEVERS['partner_units'][3]}")
    page.get_by_role("button", name="Step").click()
    _wait_text(page, "days simulated: 7")
    week1 = _charts(page, differs_from=start)
    page.get_by_role("button", name="Step").click()
    _wait_text(page, "days simulated: 14")
    week2 = _charts(page, differs_from=week1)
    assert all(a != b for a, b in zip(start, week1, strict=True)), "every chart changed after a Step"
    assert sum(a != b for a, b in zip(week1, week2, strict=True)) >= 3, "the charts are live"
    # The network view: colour by volunteer status instead of unmet need; the sample is announced.
    _wait_text(page, "Sample: ")
    page.get_by_role("button", name="colour by").click()
    page.get_by_role("option", name="volunteer status").click()
    recoloured = _charts(page, differs_from=week2)
    assert recoloured[0] != week2[0] and recoloured[1:] == week2[1:]
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
    shown = page.inner_text("body")
    assert "Traceback" not in shown and "govsim: error" not in shown
    assert page.get_by_role("tab").count() == 0 and "PAGE 0" not in shown.upper()
    assert problems == [], problems
    page.close()


def test_a_typed_number_applies_and_the_page_speaks_chinese(browser, server, tmp_path):
    page, problems = _watched(browser)
    page.goto(server)
    _wait_text(page, "days simulated: 0")
    # every slider shows its value in a number box beside it, which can be typed into
    boxes = page.get_by_label("value", exact=True)
    assert boxes.count() >= sum(1 for v in LEVERS.values() if v[0].startswith("Slider"))
    label = page.get_by_role("slider", name=LEVERS["partner_units"][1])
    lever = label.locator("xpath=ancestor::div[contains(@class,'govsim-lever')][1]")
    box = lever.locator("xpath=following-sibling::*//input")
    box.fill("33")
    box.press("Enter")
    page.get_by_role("button", name="Reset").click()
    _wait_text(page, "Partner units per community: `33`".replace("`", ""))
    slider_width = lever.locator(".v-slider__track-container").bounding_box()["width"]
    assert slider_width > 250, f"slider {slider_width:.0f} px wide"
    # the language switch: Chinese labels, drawn with the embedded CJK font (not .notdef boxes)
    page.get_by_role("button", name="中文").click()
    _wait_text(page, "已模拟天数")
    assert "大党委" in page.inner_text("body") and "五社联动" in page.inner_text("body")
    page.wait_for_function("document.fonts.status === 'loaded'")
    assert page.evaluate("document.fonts.check('16px \"govsim CJK\"', '大党委')")
    title = page.locator(".v-toolbar__title", has_text="铁西区社区治理").first.element_handle()
    shots = []
    for sample in ("政策杠杆与模型", "运行控制随机种"):  # same length, different characters, all in the font
        title.evaluate("(el, t) => { el.textContent = t; }", sample)
        shots.append(title.screenshot())
    assert shots[0] != shots[1], "different characters draw differently: real glyphs, not boxes"
    page.screenshot(path=tmp_path / "dashboard_zh.png", full_page=True)
    assert problems == [], problems
    page.close()


def test_a_bad_value_shows_the_input_error_not_a_traceback(browser, server, tmp_path):
    page, problems = _watched(browser)
    page.goto(server)
    _wait_text(page, "days simulated: 0")
    box = page.get_by_label("Other parameters", exact=False)
    box.fill("trust_gain=7")
    box.press("Enter")
    page.get_by_role("button", name="Reset").click()
    _wait_text(page, "govsim: error: parameter 'trust_gain' = 7.0 is out of range")
    page.get_by_role("button", name="Step").click()
    _wait_text(page, "days simulated: 7")  # the model still runs, without the rejected value
    shown = page.inner_text("body")
    assert "Traceback" not in shown and shown.count("govsim: error") == 1
    _charts(page)
    page.screenshot(path=tmp_path / "dashboard_error.png", full_page=True)
    assert problems == [], problems
    page.close()
