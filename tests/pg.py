"""A throwaway PostgreSQL cluster on a loopback port, from Debian's `postgresql` binaries."""

from __future__ import annotations

import os
import pwd
import shutil
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


@contextmanager
def postgres_cluster(bindir: Path) -> Iterator[str]:
    """Yield a libpq URL of a superuser `spbe` on a fresh cluster; remove it all afterwards."""
    base = Path(tempfile.mkdtemp(prefix="spbe-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD)
    if prefix:
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "spbe",
                    "--auth-host=scram-sha-256", "--auth-local=trust", f"--pwfile={pwfile}",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(base),
         "-h", "127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"postgresql://spbe:{PASSWORD}@127.0.0.1:{port}/postgres"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start: "
                                       + (proc.stderr.read().decode() if proc.stderr else "")
                                       ) from exc
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(base, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    host = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{host}/{name}"


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
