"""Is the process named in a scheduler lease still running? One rule for the daemon and the console.

A process killed outright (SIGKILL, OOM, a crash) cannot release its lease; the lease then looks held
until it lapses. On the lease's own host the holder's pid answers at once, which lets a restarting
daemon take over and an attached console say "daemon stopped" within seconds instead of a lease's
lifetime. A pid on another host means nothing here, so only the lease's expiry speaks for it.
"""

from __future__ import annotations

import os
import socket

from inolink_tui.store.base import SchedulerLease


def holder_is_gone(lease: SchedulerLease) -> bool:
    """True only when the holder ran on this host and its pid no longer exists."""
    if lease.pid <= 0 or lease.holder != f"{socket.gethostname()}:{lease.pid}":
        return False
    try:
        os.kill(lease.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive but another user's (EPERM)
        return False
    return False
