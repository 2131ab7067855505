"""``govsim dashboard``: serve the SolaraViz dashboard, on the loopback interface unless told otherwise.

The dashboard has no login and runs models on request, so it listens on
127.0.0.1 by default; any other address needs ``--allow-remote``. Checks run
before the server starts and raise :class:`~sim.InputError` (one line, exit 2).
"""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import os
import socket
import sys

from .. import i18n
from ..argtypes import parse_number
from ..i18n.cmdline import help_text

DEFAULT_PORT = 8765
APP = "sim.dashboard.app"


def add_parser(sub) -> None:
    """Add ``dashboard`` to the subcommands ``sub`` of the main parser."""
    h = help_text
    d = sub.add_parser("dashboard", help=h("dashboard"), description=h("dashboard_description"))
    d.add_argument("--port", type=_port, default=DEFAULT_PORT, help=h("dashboard_port", default=DEFAULT_PORT))
    d.add_argument("--host", default="127.0.0.1", help=h("dashboard_host"))
    d.add_argument("--allow-remote", action="store_true", help=h("dashboard_allow_remote"))


def _port(text: str) -> int:
    try:
        value = parse_number(text, integer=True)
    except ValueError:
        value = -1
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            i18n.t("err.not_allowed", value=repr(text), expected=i18n.t("err.port"))
        )
    return value


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def check(host: str, port: int, allow_remote: bool) -> None:
    """Refuse a non-loopback host without ``allow_remote``, a missing viz extra, a port in use."""
    if not allow_remote and not is_loopback(host):
        raise i18n.error("host_remote", host=host)
    if importlib.util.find_spec("solara") is None:
        raise i18n.error("viz_extra")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host.strip("[]"), port))
        except OSError as err:
            raise i18n.error("listen", host=host, port=port, detail=err.strerror or err) from None


def command(host: str, port: int) -> list[str]:
    """The solara command that serves the app (production mode, no browser opened)."""
    return [
        sys.executable, "-m", "solara", "run", APP,
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]  # fmt: skip


def cmd_dashboard(args) -> int:
    check(args.host, args.port, args.allow_remote)
    print(i18n.t("cli.dashboard_at", host=args.host, port=args.port), file=sys.stderr, flush=True)
    cmd = command(args.host, args.port)
    os.environ["GOVSIM_LANG"] = i18n.get_lang()  # the page's initial language (--lang or the environment)
    os.execv(cmd[0], cmd)  # the server replaces this process: signals reach it directly
    return 0  # not reached


COMMANDS = {"dashboard": cmd_dashboard}
