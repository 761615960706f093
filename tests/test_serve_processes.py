"""`govcx serve --workers N`: N server processes on PostgreSQL; the embedded store refuses more than one."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from govcx.cli import app
from tests.conftest import REQUIRE_POSTGRES, TEST_SECRET

SRC = Path(__file__).resolve().parents[1] / "src"
runner = CliRunner()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


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
    for command in (["serve", "--workers", "2"], ["serve"], ["demo", "--people", "10"]):
        result = runner.invoke(app, command, env={"GOVCX_DATA_DIR": str(tmp_path), "GOVCX_WORKERS": "2"})

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


@contextlib.contextmanager
def _serving(database_url: str, data_dir: Path, **extra: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """`govcx serve --workers 2` on PostgreSQL until the block ends; yield it and its port once ready."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC), "GOVCX_DATABASE_URL": database_url, "GOVCX_SECRET_KEY": TEST_SECRET,
           "GOVCX_AUTO_UPGRADE": "false", "GOVCX_LOG_LEVEL": "WARNING", **extra}
    server = subprocess.Popen([sys.executable, "-m", "govcx.cli", "serve", "--workers", "2", "--port", str(port),
                               "--data-dir", str(data_dir)], env=env, stdout=subprocess.PIPE,
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
        yield server, port
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_serve_with_two_workers_on_postgresql_answers_from_two_processes_and_stops_cleanly(database_url, tmp_path):
    with _serving(database_url, tmp_path) as (server, port):
        processes = [pid for pid in _children(server.pid) if _is_server_process(pid)]
        assert len(processes) == 2
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert server.returncode == 0, output
    assert "in 2 processes" in output and "warning: GOVCX_RATE_LIMIT_STORAGE_URL is memory://" in " ".join(output.split())
    assert not any(_is_server_process(pid) for pid in processes)  # none left behind


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A real Redis server on a local port, for as long as the test runs."""
    binary = shutil.which("redis-server")
    if binary is None:
        if REQUIRE_POSTGRES:  # CI, where shared services are required rather than skipped (.ci/run installs it)
            pytest.fail("redis-server is required for the shared rate-limit test but is not installed")
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


def _healthz_answered(client: httpx.Client) -> float:
    text = client.get("/metrics").text
    found = re.search(r'govcx_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def _wrong_password(client: httpx.Client) -> int:
    token = CSRF.search(client.get("/sign-in").text).group(1)
    return client.post("/sign-in", data={"email": "nobody@example.org", "password": "not the password",
                                         "csrf_token": token}).status_code


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_with_a_shared_storage_two_server_processes_count_one_rate_limit_together(database_url, tmp_path, redis_url):
    with _serving(database_url, tmp_path, GOVCX_RATE_LIMIT_STORAGE_URL=redis_url,
                  GOVCX_RATE_LIMIT_SIGN_IN="3/minute") as (_, port):
        base = f"http://127.0.0.1:{port}"
        first = httpx.Client(base_url=base, timeout=10)  # a keep-alive connection stays with one process
        for _ in range(5):
            first.get("/healthz")
        other = None
        for _ in range(40):  # a connection the other process took: it has not answered those /healthz
            candidate = httpx.Client(base_url=base, timeout=10)
            if _healthz_answered(candidate) < 5:
                other = candidate
                break
            candidate.close()
        assert other is not None, "every connection went to one process"

        answers = [_wrong_password(first), _wrong_password(other), _wrong_password(first), _wrong_password(other)]
        first.close()
        other.close()
    # Three attempts a minute from one address, whichever process took them: the fourth is refused.
    assert answers == [401, 401, 401, 429]
