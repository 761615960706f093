"""`govcx serve --workers N`: N server processes on PostgreSQL; the embedded store refuses more than one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from govcx.cli import app
from tests.conftest import TEST_SECRET

SRC = Path(__file__).resolve().parents[1] / "src"
runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _is_server_process(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


def test_more_than_one_process_on_the_embedded_store_is_refused_with_the_way_out(tmp_path):
    for how in (["--workers", "2"], []):
        result = runner.invoke(app, ["serve", *how], env={"GOVCX_DATA_DIR": str(tmp_path), "GOVCX_WORKERS": "2"})

        assert result.exit_code == 2
        said = " ".join(result.output.split())
        assert "The embedded SQLite store is served by one process only" in said
        assert "GOVCX_DATABASE_URL" in said and "--workers 1" in said
    assert not (tmp_path / "govcx.db").exists()  # refused before anything was created


def test_production_refuses_several_processes_that_would_each_count_rate_limits_apart(tmp_path):
    env = {"GOVCX_ENV": "production", "GOVCX_SECRET_KEY": TEST_SECRET, "GOVCX_DATA_DIR": str(tmp_path),
           "GOVCX_DATABASE_URL": "postgresql+psycopg://govcx@127.0.0.1:1/none"}

    result = runner.invoke(app, ["serve", "--workers", "4"], env=env)

    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "GOVCX_RATE_LIMIT_STORAGE_URL is memory://" in said and "4 times looser" in said
    assert "redis://" in said


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_serve_with_two_workers_on_postgresql_answers_from_two_processes_and_stops_cleanly(database_url, tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC), "GOVCX_DATABASE_URL": database_url, "GOVCX_SECRET_KEY": TEST_SECRET,
           "GOVCX_AUTO_UPGRADE": "false", "GOVCX_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "govcx.cli", "serve", "--workers", "2", "--port", str(port),
                               "--data-dir", str(tmp_path)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline, ready = time.monotonic() + 120, None
        while ready is None and time.monotonic() < deadline:
            assert server.poll() is None, server.stdout.read()
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ready is not None and ready.json() == {"status": "ready"}
        processes = [pid for pid in _children(server.pid) if _is_server_process(pid)]
        assert len(processes) == 2
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert server.returncode == 0, output
    assert "in 2 processes" in output and "warning: GOVCX_RATE_LIMIT_STORAGE_URL is memory://" in " ".join(output.split())
    assert not any(_is_server_process(pid) for pid in processes)  # none left behind
