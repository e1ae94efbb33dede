"""Three real daemons on one real PostgreSQL ledger, probing loopback targets: services
spread across them and judged once, a killed member's services taken over within two
leases, a frozen member fenced, the month-end job run once."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, select

from spbe_monitor.cluster.leader import leader_name
from spbe_monitor.cluster.units import assignment
from spbe_monitor.ledger import db
from spbe_monitor.ledger.membership import db_now
from spbe_monitor.ledger.store import Outage, Store
from spbe_monitor.ledger.tables import cluster_claims, cluster_members, heartbeats
from tests.conftest import SPBE
from tests.daemon import Daemon, Target, service_yaml
from tests.pg import create_database, drop_database, free_port
from tests.timetravel import local_now, month_of, month_start, previous_month_start

pytestmark = [pytest.mark.postgres, pytest.mark.date_sweep]
LEASE = 2.0  # seconds
SERVICES = [f"s{i}" for i in range(9)]
MEMBERS = ["m1", "m2", "m3"]


def write_member(folder: Path, name: str, port: int, targets: dict[str, Target],
                 database: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "probes").mkdir()
    (folder / "playbooks").mkdir()
    (folder / "probes" / "targets.yaml").write_text("probes:\n" + "".join(f"""\
  - id: {sid}-http
    kind: http
    url: http://127.0.0.1:{t.port}/
    interval: 500ms
    timeout: 400ms
    failures_to_down: 2
    successes_to_up: 1
""" for sid, t in targets.items()))
    (folder / "spbe.yaml").write_text(f"""\
database: {database}
probes: probes
playbooks: playbooks
heartbeat_interval: 1s
spool: spool
audit_key: audit.key
reports: {{folder: reports}}
server: {{listen: 127.0.0.1, port: {port}}}
cluster: {{enabled: true, lease: {LEASE:g}s, member: {name}}}
""")
    (folder / "services.yaml").write_text("services:\n" + "".join(
        service_yaml(sid, f"Layanan Uji {sid}", [f"{sid}-http"]) for sid in targets))
    (folder / "people.yaml").write_text("people: []\n")
    return folder / "spbe.yaml"


@pytest.fixture
def pg_ledger(postgres_server: str) -> Iterator[str]:
    name = f"cluster_{free_port()}"
    url = create_database(postgres_server, name)
    yield url
    drop_database(postgres_server, name)


def chain_breaks(store: Store) -> list[str]:
    """Transitions of a subject must chain (each `old` the previous `new`): two members
    judging one service, or a fenced member writing late, breaks the chain."""
    last: dict[tuple[str, str], str] = {}
    breaks = []
    for t in store.transitions():
        key = (t["subject_type"], t["subject_id"])
        if key in last and last[key] != t["old"]:
            breaks.append(f"{key}: {last[key]} then {t['old']}→{t['new']} at {t['at']}")
        last[key] = t["new"]
    return breaks


def owners(store: Store) -> dict[str, tuple[str, int, datetime]]:
    with store.engine.connect() as conn:
        return {u: (m, e, s) for u, m, e, s in conn.execute(select(
            cluster_claims.c.unit, cluster_claims.c.member, cluster_claims.c.epoch,
            cluster_claims.c.since))}


def epochs(store: Store) -> dict[str, tuple[int, str]]:
    with store.engine.connect() as conn:
        return {m: (e, s) for m, e, s in conn.execute(select(
            cluster_members.c.member, cluster_members.c.epoch, cluster_members.c.state))}


def wait(condition: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def scrape(port: int) -> dict[str, list[dict[str, str]]]:
    """Each sample's labels (and, for unlabelled ones, its value) by metric name."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[sample.name].append(dict(sample.labels) or {"value": f"{sample.value:g}"})
    return out


def health(d: Daemon, sid: str) -> str | None:
    st = d.status()
    svc = None if st is None else st["services"].get(sid)
    return None if svc is None else str(svc["health"])


def test_three_members_share_the_services_and_survive_kill_and_freeze(tmp_path: Path,
                                                                    pg_ledger: str):
    store = Store(db.make_engine(pg_ledger))
    db.upgrade(store.engine)
    # the ledger observed the end of the month just ended, and nobody filed its Formulir F
    now = local_now()
    ended_at = month_start(now)
    month = month_of(previous_month_start(now))
    filing_due = now >= ended_at + timedelta(minutes=5)  # the job runs on the 1st at 00:05
    with store.engine.begin() as conn:
        conn.execute(insert(heartbeats).values(
            instance="earlier", started_at=ended_at - timedelta(hours=1),
            last_seen_at=min(ended_at + timedelta(hours=1), now),
            stopped_at=min(ended_at + timedelta(hours=1), now)))
    targets = {sid: Target() for sid in SERVICES}
    for t in targets.values():
        t.start()
    expected = assignment(SERVICES, MEMBERS)
    assert set(expected.values()) == set(MEMBERS)  # every member gets some
    members: dict[str, Daemon] = {}
    for name in MEMBERS:
        port = free_port()
        members[name] = Daemon(write_member(tmp_path / name, name, port, targets, pg_ledger),
                               port)

    # spread: each service on the member rendezvous hashing names, and up there only
    wait(lambda: {u: m for u, (m, _, _) in owners(store).items()} == expected, "assignment")
    for sid, name in expected.items():
        wait(lambda s=sid, n=name: health(members[n], s) == "up", f"{sid} up on {name}")
        assert all(health(members[o], sid) is None for o in MEMBERS if o != name)

    # a daemon outside the cluster is refused on the cluster's ledger
    solo = tmp_path / "solo"
    config = write_member(solo, "solo", free_port(), targets, pg_ledger)
    config.write_text(config.read_text().replace("enabled: true", "enabled: false"))
    refused = subprocess.run([*SPBE, "--config", str(config), "run"], capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 3 and "already used by a running daemon" in refused.stderr

    # the month-end job: one member leads and files the month just ended, once; in the
    # first minutes of a month it is not due yet, and nobody files it early
    with store.engine.connect() as conn:
        wait(lambda: leader_name(conn) in members, "a leader")
        leader = str(leader_name(conn))
    if filing_due:
        wait(lambda: len(store.reports("formulir-f", month)) == 3 * len(SERVICES),
             f"{month}'s Formulir F", timeout=120)
        logs = {n: d.log.read_text() for n, d in members.items()}
        assert [n for n, text in logs.items() if "month-end reports not filed yet" in text
                ] == [leader]
    else:
        assert store.reports("formulir-f", month) == []

    # /metrics: each member its own services' series; the ledger figures from the leader
    # (its view of the ledger is read every 5 s)
    wait(lambda: "spbe_service_month_committed_seconds{" in urllib.request.urlopen(
        f"http://127.0.0.1:{members[leader].port}/metrics").read().decode(), "figures")
    for name, d in members.items():
        series = scrape(d.port)
        assert {lbl["service"] for lbl in series["spbe_service_up"]} == {
            s for s, m in expected.items() if m == name}
        assert {lbl["probe"] for lbl in series["spbe_probe_success"]} == {
            f"{s}-http" for s, m in expected.items() if m == name}
        scheduled = d.status()
        assert scheduled is not None and scheduled["scheduler"]["probes"] == sum(
            1 for m in expected.values() if m == name)  # it probes only its own
        figures = {lbl["service"] for lbl in series.get(
            "spbe_service_month_committed_seconds", [])}
        assert figures == (set(SERVICES) if name == leader else set())
        assert {lbl["member"] for lbl in series["spbe_cluster_member_up"]} == set(MEMBERS)
        assert series["spbe_cluster_leader"] == [{"value": "1" if name == leader else "0"}]

    status = subprocess.run([*SPBE, "--config", str(tmp_path / "m1" / "spbe.yaml"), "cluster",
                             "status", "--json"], capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    st = json.loads(status.stdout)
    assert st["leader"] == leader
    assert {m["member"]: m["units"] for m in st["members"]} == {
        n: sum(1 for m in expected.values() if m == n) for n in MEMBERS}
    assert st["services"] == expected

    # one outage per stopped service, whichever member judges it
    stopped = {name: next(s for s, m in expected.items() if m == name) for name in MEMBERS}
    for sid in stopped.values():
        targets[sid].stop()
    for name, sid in stopped.items():
        wait(lambda n=name, s=sid: health(members[n], s) == "down", f"{sid} down")
    for sid in stopped.values():
        targets[sid].start()
    for name, sid in stopped.items():
        wait(lambda n=name, s=sid: health(members[n], s) == "up", f"{sid} up again")
    assert sorted(o.service_id for o in store.outages()) == sorted(stopped.values())

    # kill -9 the leader; a target of its goes down meanwhile
    victim = leader
    lost = sorted(s for s, m in expected.items() if m == victim)
    members[victim].kill()
    killed = datetime.now(UTC)
    with store.engine.connect() as conn:
        killed_db = db_now(conn)  # claims are dated by the database's clock
    down_at = targets[lost[0]].stop()
    wait(lambda: all(owners(store).get(s, ("", 0, None))[0] not in ("", victim)
                     for s in lost), "takeover", timeout=4 * LEASE)
    taken = owners(store)
    for sid in lost:
        assert taken[sid][2] - killed_db <= timedelta(seconds=2 * LEASE)
    survivors = {n: d for n, d in members.items() if n != victim}
    new_owner = taken[lost[0]][0]

    def since_kill() -> list[Outage]:
        return [o for o in store.outages([lost[0]]) if o.start_at >= killed - timedelta(
            seconds=1)]

    wait(lambda: since_kill(), "the outage written by the new owner")
    outage = since_kill()
    assert len(outage) == 1 and outage[0].end_at is None
    # dated from its first failed check: from the stop (a check under way as it stopped is
    # dated from its start, up to a timeout before), within the takeover and two checks
    assert (down_at - timedelta(seconds=1) <= outage[0].start_at
            <= down_at + timedelta(seconds=2 * LEASE + 1.5))
    targets[lost[0]].start()
    wait(lambda: health(survivors[new_owner], lost[0]) == "up", "recovered")
    with store.engine.connect() as conn:
        wait(lambda: leader_name(conn) in survivors, "a new leader", timeout=4 * LEASE)
    time.sleep(LEASE)  # the new leader had its chance to (wrongly) file the month again
    assert len(store.reports("formulir-f", month)) == (3 * len(SERVICES) if filing_due else 0)

    # freeze a member past its lease while its service is down, and let it wake up
    frozen_name, other_name = sorted(survivors)
    frozen, other = survivors[frozen_name], survivors[other_name]
    mine = sorted(s for s, (m, _, _) in owners(store).items() if m == frozen_name)
    sid = mine[0]
    targets[sid].stop()
    wait(lambda: health(frozen, sid) == "down", f"{sid} down on {frozen_name}")
    # and in the ledger: the judgement is in memory a moment before its row is written
    wait(lambda: any(o.start_at >= killed for o in store.outages([sid])),
         f"{sid}'s outage written by {frozen_name}")
    epoch_before = epochs(store)[frozen_name][0]
    frozen.proc.send_signal(signal.SIGSTOP)
    targets[sid].start()  # the service recovers while its judge is frozen
    wait(lambda: owners(store).get(sid, ("",))[0] == other_name, "takeover from the frozen",
         timeout=4 * LEASE)
    wait(lambda: health(other, sid) == "up", f"{sid} up on {other_name}")
    time.sleep(LEASE)
    frozen.proc.send_signal(signal.SIGCONT)
    wait(lambda: epochs(store)[frozen_name] [1] == "live"
         and epochs(store)[frozen_name][0] > epoch_before + 1, "the frozen one rejoined")
    wait(lambda: all(m != "" for m, _, _ in owners(store).values())
         and len(owners(store)) == len(SERVICES), "every service owned again")
    time.sleep(LEASE)
    assert "declared dead by the cluster" in frozen.log.read_text()
    assert chain_breaks(store) == [], "\n".join(chain_breaks(store))
    incidents = store.outages([sid])
    assert len([o for o in incidents if o.start_at >= killed]) == 1
    assert incidents[-1].end_at is not None and incidents[-1].closed_unobserved

    # clean stops: units released, the members marked as left
    for d in survivors.values():
        assert d.stop() == 0
    assert owners(store) == {}
    assert {m: s for m, (_, s) in epochs(store).items()} == {
        victim: "gone", frozen_name: "left", other_name: "left"}
    assert chain_breaks(store) == []
    for t in targets.values():
        if t.server is not None:
            t.stop()


def test_a_cluster_on_sqlite_is_refused_naming_file_line_and_field(tmp_path: Path):
    config = write_member(tmp_path / "m", "m1", free_port(), {"s0": Target()},
                          "sqlite:///ledger.db")
    r = subprocess.run([*SPBE, "--config", str(config), "check-config"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2
    assert f"{config}:9: cluster.enabled: a cluster needs a PostgreSQL ledger" in r.stderr
    status = subprocess.run([*SPBE, "--config", str(config), "cluster", "status"],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 2 and "Traceback" not in status.stderr
