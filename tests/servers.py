"""A real gunicorn server on the test database, for concurrency and browser tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_SECRET = "server-test-secret-" + "y" * 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn_server(database_url: str, instance_path: Path, *, workers: int = 4, env: dict | None = None):
    """Serve `wsgi:app` with `workers` processes; yields the base URL; stops the server afterwards."""
    port = free_port()
    server_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SERVER_SECRET,
        "EDUCUSSION_INSTANCE_PATH": str(instance_path),
        "EDUCUSSION_ENV": "development",
        "EDUCUSSION_TWO_STEP_ROLES": "",  # journeys log the secretariat in without a phone
        "EDUCUSSION_BASE_URL": f"http://127.0.0.1:{port}",  # links in mails lead to this server
        **(env or {}),
    }
    log_path = instance_path / "gunicorn.log"
    instance_path.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "60", "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base, process, log_path)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


START_SECONDS = 120  # a busy machine (CI running both databases at once) imports the app slowly


def _wait_until_up(base: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + log_path.read_text(errors="replace"))
        try:
            with urllib.request.urlopen(base + "/login", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start in {START_SECONDS} s:\n" + log_path.read_text(errors="replace"))


@contextmanager
def search_worker(database_url: str, instance_path: Path, *, interval: float = 0.1):
    """Run the real `flask search worker` on the test database and index; stopped afterwards."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SERVER_SECRET,
           "EDUCUSSION_INSTANCE_PATH": str(instance_path), "EDUCUSSION_ENV": "development",
           "EDUCUSSION_SEARCH_DRAIN": "worker"}
    instance_path.mkdir(parents=True, exist_ok=True)
    log_path = instance_path / "search-worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "search", "worker", "--interval", str(interval)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            yield log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
