"""The one-engine-per-pair rule as the layers above see it (the guard itself is engine/guard.py)."""

from __future__ import annotations

from datetime import datetime


def iso(moment: datetime) -> str:
    """UTC to the second, with a Z: how lease and claim times are written and shown."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class PairHeld(Exception):
    """Another engine holds the (Dynamics org, QuickBooks company) pair: this one must not sync it now.

    `--once` exits 3 with this message; the daemon and the console wait and show it as a problem.
    """

    def __init__(self, pair: str, holder: str, until: datetime | None) -> None:
        when = f"until {iso(until)}" if until else "with no expiry recorded"
        super().__init__(
            f"another engine syncs {pair}: {holder or 'an unnamed engine'}, its lease runs {when}; "
            "not starting a second one (stop it, or wait for its lease to end)"
        )
        self.pair = pair
        self.holder = holder
        self.until = until
