"""What a cluster costs: N daemons sharing T HTTP targets on one PostgreSQL ledger.

For 1 daemon and for 3 (by default; `--members 1,3`), T targets (20,000) every I seconds
(60) against a loopback nginx, ten targets to a service: checks per second, CPU per
daemon, PostgreSQL's CPU and the rows it writes per second (inserts + updates + deletes),
over `--seconds` after one interval of warm-up; with more than one member, the takeover
time after `kill -9` of one (from the kill until every unit is claimed by a live member).

    .venv/bin/python -m bench.cluster [--targets 20000] [--interval 60] [--seconds 60]
        [--members 1,3] [--lease 10]

Everything runs on this machine (the daemons, PostgreSQL and nginx share its cores);
every address is on loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.probe_throughput import Nginx, cpu_seconds, rss_mib, status, wait_port
from spbe_monitor.ledger import db
from tests.certs import LoopbackCA
from tests.pg import PgCluster, create_database, free_port, pg_bindir


def inventory(folder: Path, nginx: Nginx, targets: int, interval: int) -> None:
    """probes/ and services.yaml every member reads (the same files, as in production)."""
    (folder / "probes").mkdir(parents=True)
    (folder / "playbooks").mkdir()
    lines = ["probes:"]
    for i in range(targets):
        lines += [f"  - id: t{i}", "    kind: http",
                  f"    url: http://127.0.0.1:{nginx.http}/?i={i}", f"    interval: {interval}s"]
    (folder / "probes" / "targets.yaml").write_text("\n".join(lines) + "\n")
    services = ["services:"]
    for s in range(0, targets, 10):
        services += [f"  - id: svc{s}", f"    name: Layanan {s}", "    provider: Diskominfo",
                     "    technical_team: Aptika", "    nature: administrasi_pemerintahan",
                     "    application_basis: khusus", "    user_scope: instansi",
                     "    components: " + json.dumps(
                         [f"t{i}" for i in range(s, min(targets, s + 10))]),
                     "    require: any"]
    (folder / "services.yaml").write_text("\n".join(services) + "\n")
    (folder / "people.yaml").write_text("people: []\n")


def member_config(folder: Path, shared: Path, name: str, url: str, lease: int,
                  cluster: bool) -> tuple[Path, int]:
    folder.mkdir()
    port = free_port()
    (folder / "spbe.yaml").write_text(f"""\
database: {url}
services: {shared}/services.yaml
people: {shared}/people.yaml
probes: {shared}/probes
playbooks: {shared}/playbooks
spool: spool
audit_key: audit.key
max_concurrency: 512
server: {{listen: 127.0.0.1, port: {port}}}
cluster: {{enabled: {str(cluster).lower()}, lease: {lease}s, member: {name}}}
""")
    return folder / "spbe.yaml", port


def postgres_pids(data: Path) -> list[int]:
    """The postmaster and its backends (long-lived: the daemons keep their connections)."""
    master = int((data / "postmaster.pid").read_text().split()[0])
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def pg_cpu(data: Path) -> float:
    total = 0.0
    for pid in postgres_pids(data):
        with contextlib.suppress(OSError):  # a backend that just ended
            total += cpu_seconds(pid)
    return total


def rows_written(url: str) -> int:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        row = conn.execute("SELECT tup_inserted + tup_updated + tup_deleted FROM "
                           "pg_stat_database WHERE datname = current_database()").fetchone()
    assert row is not None
    return int(row[0])


def unclaimed(url: str, units: int) -> int:
    """Units no live member holds."""
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM cluster_claims c JOIN cluster_members m ON m.member = "
            "c.member AND m.epoch = c.epoch WHERE m.state = 'live' AND m.lease_until > "
            "timezone('UTC', now())").fetchone()
    assert row is not None
    return units - int(row[0])


@dataclass
class Result:
    members: int
    checks_per_second: float
    daemon_cpu: list[float]  # share of one core, per member
    daemon_rss: list[float]
    pg_cpu: float
    rows_per_second: float
    takeover: float | None


def run(base: Path, pg: PgCluster, nginx: Nginx, n: int, args: argparse.Namespace) -> Result:
    url = create_database(pg.url, f"bench_{n}")
    db.upgrade(db.make_engine(url))
    shared = base / f"shared{n}"
    inventory(shared, nginx, args.targets, args.interval)
    units = (args.targets + 9) // 10
    procs: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for i in range(n):
            config, port = member_config(base / f"c{n}-m{i}", shared, f"m{i}", url, args.lease,
                                         n > 1)
            with open(config.parent / "daemon.log", "wb") as log:
                proc = subprocess.Popen([sys.executable, "-m", "spbe_monitor", "--config",
                                         str(config), "run"], stdout=log,
                                        stderr=subprocess.STDOUT)
            procs.append((proc, port))
        for _, port in procs:
            wait_port(port, 300)
        deadline = time.monotonic() + 300
        while n > 1 and unclaimed(url, units) > 0:
            assert time.monotonic() < deadline, "the units were never all claimed"
            time.sleep(0.5)
        time.sleep(args.interval)  # one full interval: every probe has started
        t0 = time.monotonic()
        c0 = [cpu_seconds(p.pid) for p, _ in procs]
        k0 = [status(port)["scheduler"]["checks"] for _, port in procs]
        p0, r0 = pg_cpu(pg.data), rows_written(url)
        time.sleep(args.seconds)
        t1 = time.monotonic()
        c1 = [cpu_seconds(p.pid) for p, _ in procs]
        k1 = [status(port)["scheduler"]["checks"] for _, port in procs]
        p1, r1 = pg_cpu(pg.data), rows_written(url)
        span = t1 - t0
        result = Result(n, (sum(k1) - sum(k0)) / span, [(b - a) / span for a, b in zip(
            c0, c1, strict=True)], [rss_mib(p.pid) for p, _ in procs], (p1 - p0) / span,
            (r1 - r0) / span, None)
        if n > 1:
            victim = procs[0][0]
            victim.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            victim.wait()
            gap = False  # the victim's claims count until its lease runs out
            while True:
                left = unclaimed(url, units)
                gap = gap or left > 0
                if gap and left == 0:
                    break
                assert time.monotonic() - killed < 10 * args.lease, "no takeover"
                time.sleep(0.05)
            result.takeover = time.monotonic() - killed
        return result
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=20_000)
    parser.add_argument("--interval", type=int, default=60, help="seconds")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--members", default="1,3")
    parser.add_argument("--lease", type=int, default=10, help="seconds")
    args = parser.parse_args()
    bindir = pg_bindir()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (apt-get install postgresql)")
    with tempfile.TemporaryDirectory(prefix="spbe-bench-cluster-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)
        nginx = Nginx(base, LoopbackCA(base))
        pg = PgCluster(bindir)
        pg.start()
        try:
            print(f"{args.targets} HTTP targets every {args.interval} s, "
                  f"{args.targets // 10} services, lease {args.lease} s, "
                  f"measured over {args.seconds:g} s")
            for n in (int(x) for x in args.members.split(",")):
                r = run(base, pg, nginx, n, args)
                cpu = ", ".join(f"{c:.0%}" for c in r.daemon_cpu)
                rss = ", ".join(f"{m:.0f}" for m in r.daemon_rss)
                print(f"{n} daemon(s): {r.checks_per_second:7.0f} checks/s; daemon CPU "
                      f"{cpu} of a core (total {sum(r.daemon_cpu):.0%}); RSS {rss} MiB; "
                      f"PostgreSQL CPU {r.pg_cpu:.0%}, {r.rows_per_second:.0f} rows "
                      "written/s" + ("" if r.takeover is None else
                                     f"; takeover after kill -9: {r.takeover:.1f} s"))
        finally:
            pg.remove()
            nginx.stop()


if __name__ == "__main__":
    main()
