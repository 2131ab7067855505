"""A CJK font for plots, the brief and the dashboard, found without fixed paths.

Where it comes from, in order: ``GOVSIM_CJK_FONT`` (a font file, or ``none`` to
run as if there were no CJK font), the font package of the project's ``cjk``
extra, which ``make`` installs (``cvttf-notosanscjk-regular`` on the package
index ships Noto Sans CJK as an OTF inside the Python package), then any CJK
family matplotlib's font manager already knows from the system (e.g. Debian's
``fonts-noto-cjk``). The file is
registered with :data:`matplotlib.font_manager.fontManager` by ``addfont``.

Without one, Chinese output would be boxes; :func:`output_lang` then says so in
one line on stderr and returns English, so nothing is drawn silently broken.
"""

from __future__ import annotations

import base64
import io
import os
import sys
from functools import cache
from importlib import resources
from pathlib import Path

from matplotlib import font_manager

from . import i18n

FONT_PACKAGES = ("cvttf_NotoSansCJK_Regular",)
"""Python packages (import names) that ship a CJK font file."""
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
)
"""System families accepted when no font package is installed."""
LATIN = "DejaVu Sans"
CSS_STACK = (
    '"govsim CJK", "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei", '
    '"PingFang SC", "Microsoft YaHei", "DejaVu Sans", sans-serif'
)
"""The brief's and the dashboard's font stack: the embedded subset first, then common CJK fonts."""
ENV = "GOVSIM_CJK_FONT"


def _package_font() -> Path | None:
    for pkg in FONT_PACKAGES:
        try:
            root = resources.files(pkg)
        except ModuleNotFoundError:
            continue
        for item in sorted(root.iterdir(), key=lambda p: p.name):
            if item.name.lower().endswith((".otf", ".ttf", ".ttc")):
                return Path(str(item))
    return None


def _system_font() -> Path | None:
    by_name = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in by_name:
            return Path(by_name[family])
    return None


@cache
def cjk_font() -> Path | None:
    """The CJK font file in use, registered with matplotlib; None when there is none."""
    forced = os.environ.get(ENV, "").strip()
    if forced.lower() == "none":
        return None
    path = Path(forced) if forced else (_package_font() or _system_font())
    if path is None or not path.is_file():
        return None
    try:
        font_manager.fontManager.addfont(str(path))
    except (OSError, RuntimeError, ValueError):
        return None
    return path


@cache
def cjk_family() -> str | None:
    path = cjk_font()
    return font_manager.FontProperties(fname=str(path)).get_name() if path else None


def families() -> list[str]:
    """matplotlib's family list: DejaVu Sans for Latin, then the CJK font for the rest."""
    fam = cjk_family()
    return [LATIN, fam] if fam else [LATIN]


_warned: set[str] = set()


def output_lang(lang: str | None = None, file=None) -> str:
    """The language to draw in: ``lang`` (default: current), or English with a one-line
    warning when it is Chinese and no CJK font can be found."""
    lang = lang or i18n.get_lang()
    if lang == "zh" and cjk_font() is None:
        if "zh" not in _warned:
            _warned.add("zh")
            print(i18n.t("font.missing", "en"), file=file or sys.stderr)  # English: safe anywhere
        return "en"
    return lang


def font_face_css(text: str, family: str = "govsim CJK") -> str:
    """An ``@font-face`` rule embedding the CJK font cut down to the characters of ``text``
    (a few kB instead of 16 MB), so a page renders its Chinese on a machine without CJK fonts.
    Empty when there is no CJK font or ``text`` has no character outside ASCII."""
    path = cjk_font()
    chars = {c for c in text if ord(c) > 0x7F}
    if path is None or not chars:
        return ""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    font = subset.load_font(str(path), options, dontLoadGlyphNames=True)
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    fmt, mime = ("opentype", "font/otf") if "CFF " in font else ("truetype", "font/ttf")
    data = base64.b64encode(buf.getvalue()).decode()
    return (
        f'@font-face{{font-family:"{family}";src:url(data:{mime};base64,{data}) format("{fmt}");'
        "font-display:block}"
    )
