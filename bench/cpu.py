"""Where the CPU went during a phase: the server's processes and the whole machine.

Why: on a shared 2-core box other work moves req/s from one run to the next, while
CPU time per request barely moves; it also shows where an entry's cost lies.
"""

import os
import subprocess
from pathlib import Path

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU time of the gunicorn workers and of their PostgreSQL backends."""

    def __init__(self, server: subprocess.Popen, database: str, admin_url: str):
        self.server, self.database, self.admin_url = server, database, admin_url
        self.app_pids, self.db_pids = [], []

    def find_processes(self) -> None:
        """Call once every worker has connected to the database (after a warm-up)."""
        master = str(self.server.pid)
        self.app_pids = [pid for pid in _all_pids() if _stat(pid)[1:2] == [master]]
        with psycopg.connect(self.admin_url, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
            ).fetchall()
        # PostgreSQL in another container or VM: its backends are not ours to see.
        self.db_pids = [pid for (pid,) in rows if _stat(pid)]

    def seconds(self) -> tuple[float, float]:
        """CPU seconds used so far by (the workers, their database backends)."""
        return _cpu_seconds(self.app_pids), _cpu_seconds(self.db_pids)


def machine_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores since boot, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as handle:
        ticks = [int(x) for x in handle.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / TICKS, sum(ticks) / TICKS


def _cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / TICKS


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _stat(pid: int) -> list[str]:
    """Fields of /proc/PID/stat from the third (state) on; [] once the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    return text[text.rindex(")") + 2 :].split()  # the command name may hold spaces
