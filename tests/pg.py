"""A throwaway PostgreSQL cluster on a loopback port, from Debian's `postgresql` binaries."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

PASSWORD = "spbe-test-superuser"


def pg_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """A cluster that can be stopped and started again on the same port (fault tests)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="spbe-pg-"))
        self.prefix: list[str] = []
        pwfile = self.base / "pw"
        pwfile.write_text(PASSWORD)
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
            os.chown(pwfile, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.data = self.base / "data"
        subprocess.run([*self.prefix, str(bindir / "initdb"), "-D", str(self.data), "-U",
                        "spbe", "--auth-host=scram-sha-256", "--auth-local=trust",
                        f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True)
        self.port = free_port()
        self.url = f"postgresql://spbe:{PASSWORD}@127.0.0.1:{self.port}/postgres"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*self.prefix, str(self.bindir / "postgres"), "-D", str(self.data), "-p",
             str(self.port), "-k", str(self.base), "-h", "127.0.0.1", "-c", "fsync=off",
             "-c", "full_page_writes=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start: " + (
                        self.proc.stderr.read().decode() if self.proc.stderr else "")) from exc
                time.sleep(0.1)

    def stop(self) -> None:
        """A fast shutdown: every client connection is cut, as when the server goes away."""
        if self.proc is not None:
            # fast shutdown (SIGTERM would wait for clients), sent to the postmaster itself:
            # runuser passes on SIGTERM but not SIGINT
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGINT)
            self.proc.wait(timeout=30)
            self.proc = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def postgres_cluster(bindir: Path) -> Iterator[str]:
    """Yield a libpq URL of a superuser `spbe` on a fresh cluster; remove it all afterwards."""
    cluster = PgCluster(bindir)
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.remove()


def create_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    host = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{host}/{name}"


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
