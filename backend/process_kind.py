"""Which kind of process this is: web, worker, alerts, beat, or a one-off command.

Why: start-up notices (a channel without credentials, the local outbox) are worth saying once
per kind of process, where an operator reads them, not from every ``migrate``, every seeding
command and every gunicorn or prefork child.
"""

import os
import sys

WEB, WORKER, ALERTS, BEAT, COMMAND = "web", "worker", "alerts", "beat", "command"


def of(argv: list[str] | None = None) -> str:
    argv = sys.argv if argv is None else argv
    program = os.path.basename(argv[0]) if argv else ""
    if program == "__main__.py":  # python -m celery, python -m gunicorn
        program = os.path.basename(os.path.dirname(argv[0]))
    words = argv[1:]
    if program.startswith("gunicorn") or "runserver" in words[:1]:
        return WEB
    if program.startswith("celery") or "celery" in words[:1]:
        if "beat" in words:
            return BEAT
        if "worker" in words:
            hostname = _option(words, "--hostname", "-n")
            # The Procfile and compose name it alerts@%h; tests alerts-<id>@%h.
            return ALERTS if hostname.startswith(("alerts@", "alerts-")) else WORKER
    return COMMAND


def _option(words: list[str], *names: str) -> str:
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                return words[index + 1]
            if word.startswith(f"{name}="):
                return word.split("=", 1)[1]
    return ""


def says_start_up_notices() -> bool:
    """Web and worker processes say them; beat and one-off commands send nothing.

    gunicorn imports the app in each of its workers (no ``--preload``): only the first
    says them, the one whose parent (the arbiter) it shares with no earlier sibling; told
    apart by a marker file named after the arbiter's pid.
    """
    kind = of()
    if kind not in (WEB, WORKER, ALERTS):
        return False
    if not os.path.basename(sys.argv[0]).startswith("gunicorn"):
        return True
    from django.conf import settings

    marker = settings.VAR_DIR / f".notices-gunicorn-{os.getppid()}"
    try:
        with open(marker, "x"):
            return True
    except FileExistsError:
        return False
    except OSError:  # no var folder to write in: better said by each than by none
        return True
