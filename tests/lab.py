"""Real services that a test starts, stops and restarts itself: a PostgreSQL cluster (and a streaming
standby of it), a Redis server, the registry served by gunicorn and a Celery worker, each a process of
its own on a free loopback port, in a temporary directory removed afterwards.

The machine's own PostgreSQL and Redis serve the rest of the suite and must keep running, so the
failure tests never touch them: they break these private copies instead. The machine's PostgreSQL
allows no replication connections either, hence a cluster of our own for the read replica.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The settings a served registry runs with: production's over plain HTTP, tasks through the broker given.
BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "registry.settings",
    "LOCAL_HTTP": "true",
    "SECRET_KEY": "lab-only-not-a-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "CACHE_URL": "",
    "CELERY_BROKER_URL": "",
    "DATABASE_REPLICA_URL": "",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    """Poll `check()` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if found is None:
        pytest.skip(f"PostgreSQL's {name} is not installed")
    return found


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres account when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class PostgresCluster:
    """A PostgreSQL cluster of our own (`initdb` in a temporary directory, `pg_ctl` on a free port)."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port = data_dir, port
        self.log = data_dir.parent / f"{data_dir.name}.log"

    @classmethod
    def create(cls, parent: Path, name: str = "primary") -> PostgresCluster:
        cluster = cls(parent / name, free_port())
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(cluster.data_dir), "-U", "postgres",
                                     "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, capture_output=True)
        with open(cluster.data_dir / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {cluster.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                "fsync = off\nfull_page_writes = off\nwal_level = replica\nmax_wal_senders = 4\n"
                "hot_standby = on\n"
            )
        with open(cluster.data_dir / "pg_hba.conf", "a") as hba:
            hba.write("\nhost replication all 127.0.0.1/32 trust\n")
        return cluster

    def url(self, dbname: str = "registry") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log), *args]),
                       check=True, capture_output=True)

    def start(self) -> PostgresCluster:
        self._ctl("start", "-w", "-t", "60")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-w", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._ctl("restart", "-w", "-m", mode, "-t", "60")

    @property
    def running(self) -> bool:
        return _port_open(self.port)

    def sql(self, query: str, dbname: str = "registry") -> str:
        """Run one statement with psql; its unaligned output."""
        done = subprocess.run(
            [_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", dbname,
             "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", query],
            check=True, capture_output=True, text=True,
        )
        return done.stdout.strip()

    def create_database(self, dbname: str = "registry") -> str:
        self.sql(f'CREATE DATABASE "{dbname}"', dbname="postgres")
        return self.url(dbname)

    def standby(self, name: str = "standby") -> PostgresCluster:
        """A streaming standby of this (running) cluster: `pg_basebackup -R`, started on a port of its own."""
        replica = PostgresCluster(self.data_dir.parent / name, free_port())
        subprocess.run(_as_postgres([_pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port),
                                     "-U", "postgres", "-D", str(replica.data_dir), "-R", "-X", "stream",
                                     "--checkpoint=fast", "--no-sync"]),
                       check=True, capture_output=True)
        with open(replica.data_dir / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {replica.port}\n")
        return replica.start()


class RedisServer:
    """A Redis server of our own on a free port, keeping nothing on disk."""

    def __init__(self, work_dir: Path):
        self.port, self.work_dir, self.process = free_port(), work_dir, None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.work_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and _port_open(self.port)


def manage(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a manage.py command in a process of its own with `env` over the lab's base settings."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=_environ(env), check=True,
                          capture_output=True, text=True, timeout=timeout)


def _environ(env: dict) -> dict:
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("DJANGO_", "PYTEST_")) and key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**environ, **BASE_ENV, **env}


class Process:
    """A long-running child process (gunicorn, a Celery worker) with its output in a log file."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.args, self.env, self.log, self.process = args, env, log, None

    def start(self) -> Process:
        self._log_file = open(self.log, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=_environ(self.env), stdout=self._log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)
        self.process = None
        self._log_file.close()

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, no acknowledgement of what was running."""
        self.stop(signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Site(Process):
    """The registry served by gunicorn on a free port."""

    def __init__(self, env: dict, log: Path, *, workers: int = 2, threads: int = 4):
        self.port = free_port()
        super().__init__(
            [sys.executable, "-m", "gunicorn", "registry.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "60",
             "--access-logfile", "-", "--error-logfile", "-"],
            env, log,
        )

    def start(self) -> Site:
        super().start()
        wait_for(lambda: _port_open(self.port) or self.process.poll() is not None, what="gunicorn to listen")
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn did not start:\n{self.output()}")
        return self

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, *, headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
        """GET a path; (status, body) whatever the status."""
        request = urllib.request.Request(self.url(path), headers=headers or {})  # noqa: S310 (loopback)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback)
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


class Worker(Process):
    """A Celery worker (solo pool) consuming from the lab's broker."""

    def __init__(self, env: dict, log: Path, *, name: str = "lab"):
        super().__init__(
            [sys.executable, "-m", "celery", "-A", "registry", "worker", "-P", "solo", "-c", "1",
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"],
            env, log,
        )


@pytest.fixture
def lab_dir():
    """A temporary directory the postgres account may write in (the clusters live there)."""
    path = Path(tempfile.mkdtemp(prefix="registry-lab-"))
    if os.geteuid() == 0:
        shutil.chown(path, "postgres")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def lab_postgres(lab_dir):
    """A running PostgreSQL cluster of our own with an empty `registry` database."""
    cluster = PostgresCluster.create(lab_dir).start()
    cluster.create_database()
    yield cluster
    if cluster.running:
        cluster.stop("immediate")


@pytest.fixture
def lab_redis(lab_dir):
    server = RedisServer(lab_dir).start()
    yield server
    server.stop()
