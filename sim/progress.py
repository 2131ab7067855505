"""Progress displays: tqdm bars on stderr, for every command that shows progress.

``--quiet`` (or ``enabled=False``) shows none. A bar is opened at its first update, so a
step that is skipped (a spin-up reused from the cache) shows nothing.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm


def bar(total: int, desc: str, unit: str, *, enabled: bool = True) -> tqdm:
    """A tqdm bar on stderr that redraws at most twice a second."""
    from tqdm import tqdm  # imported when a bar is shown, not by every worker process

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not enabled or total == 0,
        dynamic_ncols=True,
        mininterval=0.5,
    )


class Counter:
    """``progress(done)`` callbacks (``done`` counted from 0 or 1) as a bar opened on first use.

    Args:
        total: how many steps.
        desc: the bar's label.
        unit: what a step is.
        offset: added to the value the callback gets (1 when it gets the index just finished).
        before: a counter to close when this one starts (the spin-up's, for the measured days).
    """

    def __init__(
        self, total: int, desc: str, unit: str = "day", offset: int = 1, before: Counter | None = None
    ):
        self.total, self.desc, self.unit, self.offset, self.before = total, desc, unit, offset, before
        self.bar: tqdm | None = None

    def __call__(self, done: int) -> None:
        if self.bar is None:
            if self.before is not None:
                self.before.close()
            self.bar = bar(self.total, self.desc, self.unit)
        self.bar.update(done + self.offset - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
