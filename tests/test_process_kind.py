"""Start-up notices (a channel without credentials, the local outbox) come once from each
kind of process that sends, never from migrate, seeding, beat or every gunicorn worker."""

import pytest

from backend import process_kind


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["manage.py", "runserver", "127.0.0.1:8000", "--noreload"], "web"),
        (["/srv/.venv/bin/gunicorn", "backend.wsgi:application", "--workers", "3"], "web"),
        (["celery", "-A", "backend", "worker", "--concurrency", "2"], "worker"),
        (["celery", "-A", "backend", "worker", "--hostname", "alerts@%h", "-Q", "x"], "alerts"),
        (["celery", "-A", "backend", "worker", "--hostname=alerts@vm"], "alerts"),
        (["/usr/bin/celery", "-A", "backend", "beat", "--loglevel", "INFO"], "beat"),
        (["manage.py", "migrate", "--noinput"], "command"),
        (["manage.py", "seed_demo"], "command"),
    ],
)
def test_each_process_knows_its_kind(argv, kind):
    assert process_kind.of(argv) == kind


def test_only_the_first_gunicorn_worker_of_an_arbiter_says_the_notices(
    monkeypatch, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr("sys.argv", ["gunicorn", "backend.wsgi:application"])
    monkeypatch.setattr("os.getppid", lambda: 4242)

    assert [process_kind.says_start_up_notices() for _ in range(3)] == [True, False, False]


def test_migrate_and_beat_say_nothing(monkeypatch):
    for argv in (["manage.py", "migrate"], ["celery", "-A", "backend", "beat"]):
        monkeypatch.setattr("sys.argv", argv)
        assert process_kind.says_start_up_notices() is False
