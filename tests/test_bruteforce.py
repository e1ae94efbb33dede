"""`spbe availability --json` against a per-minute count written independently of the
interval code: random overlapping outages, one-off and RRULE maintenance (some registered
late, approved or cancelled), monitor gaps, services in WIB, WITA and WIT, and days off
(the agency's local holidays for the office-hours services, a service's own extra days)."""

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from dateutil.rrule import rrulestr

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from tests.cli_helpers import spbe

# The example services' hours, read here by hand: weekday → [(start minute, end minute)]
HOURS = {
    "perizinan-online": ("Asia/Jakarta", {d: [(0, 1440)] for d in range(7)}),
    "persuratan-online": ("Asia/Makassar", {d: [(450, 960)] for d in range(5)}),
    "simpeg-internal": ("Asia/Jayapura", {**{d: [(450, 960)] for d in range(4)}, 4: [(450, 990)]}),
}
# days off, read here by hand: the local holidays apply to the office-hours services only
LOCAL = "calendar:\n  local: [2026-09-30, 2026-10-05, {date: 2026-10-22, name: Hari Jadi}]\n"
EXTRA = {"perizinan-online": ["2026-10-09"], "simpeg-internal": ["2026-10-13"]}
OFF = {"perizinan-online": {"2026-10-09"},
       "persuratan-online": {"2026-09-30", "2026-10-05", "2026-10-22"},
       "simpeg-internal": {"2026-09-30", "2026-10-05", "2026-10-22", "2026-10-13"}}
RULES = ["FREQ=WEEKLY;BYDAY=SU", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=5"]
MONTH_UTC = datetime(2026, 10, 1, tzinfo=UTC)


def minute(rng: random.Random, spread_days: int = 40) -> datetime:
    """A random minute from a few days before October to a few days after."""
    return MONTH_UTC - timedelta(days=4) + timedelta(minutes=rng.randrange(spread_days * 1440))


def populate(store: Store, rng: random.Random) -> list[dict[str, Any]]:
    services = list(HOURS)
    for _ in range(60):
        start = minute(rng)
        end = start + timedelta(minutes=rng.randrange(1, 600))
        store.add_manual_outage(rng.choice(services), start, end, "mayor", "P1", "x", "t",
                                end + timedelta(hours=1))
    windows = []
    for i in range(14):
        svc = rng.sample(services, rng.randint(1, 2))
        start = minute(rng)
        end = start + timedelta(minutes=rng.randrange(30, 300))
        rule = rng.choice(RULES) if i % 2 else None
        zone = HOURS[svc[0]][0]
        late = rng.random() < 0.4
        registered = start + timedelta(days=rng.randint(0, 12) if rule else 0,
                                       minutes=1) if late else start - timedelta(days=1)
        wid = store.add_maintenance(svc, start, end, rule, zone, "m", "t", registered)
        approved = late and rng.random() < 0.5
        if approved:
            store.approve_maintenance(wid, svc[:1], "boss", registered)
        cancelled = rng.random() < 0.15
        if cancelled:
            store.cancel_maintenance(wid, "t", registered)
        if rng.random() < 0.7:  # an outage running across the window's first occurrence
            store.add_manual_outage(svc[0], start - timedelta(minutes=30),
                                    start + timedelta(minutes=90), "mayor", "P1", "x", "t", end)
        windows.append(dict(services=svc, start=start, end=end, rule=rule, zone=zone,
                            registered=registered, approved=svc[:1] if approved else [],
                            cancelled=cancelled))
    # and one late window nobody approved, during an outage: listed, excusing nothing
    start = datetime(2026, 10, 20, 3, tzinfo=UTC)
    store.add_manual_outage("perizinan-online", start, start + timedelta(hours=2), "mayor",
                            "P1", "x", "t", start + timedelta(hours=3))
    store.add_maintenance(["perizinan-online"], start, start + timedelta(hours=1), None,
                          "Asia/Jakarta", "m", "t", start + timedelta(minutes=5))
    windows.append(dict(services=["perizinan-online"], start=start,
                        end=start + timedelta(hours=1), rule=None, zone="Asia/Jakarta",
                        registered=start + timedelta(minutes=5), approved=[],
                        cancelled=False))
    t = minute(rng, 3)
    while t < MONTH_UTC + timedelta(days=33):
        sid = store.open_session("h", t)
        t += timedelta(minutes=rng.randrange(60, 6 * 1440))
        store.close_session(sid, t)
        t += timedelta(minutes=rng.randrange(1, 2 * 1440))
    return windows


def brute_force(store: Store, windows: list[dict[str, Any]], sid: str) -> dict[str, int]:
    zone_name, hours = HOURS[sid]
    zone = ZoneInfo(zone_name)
    outages = [(o.start_at, o.end_at) for o in store.outages([sid]) if o.end_at]
    # a service with no component to watch was never observed, however long daemons ran
    watched = sid != "simpeg-internal"  # the example's service with components: []
    sessions = [(s["started_at"], s["last_seen_at"]) for s in store.sessions()] if watched \
        else []
    excusing = []
    for w in windows:
        if sid not in w["services"] or w["cancelled"]:
            continue
        starts = [w["start"]]
        if w["rule"]:
            local = w["start"].astimezone(ZoneInfo(w["zone"]))
            starts = [o.astimezone(UTC) for o in rrulestr(w["rule"], dtstart=local).between(
                local, local + timedelta(days=60), inc=True)]
        for s in starts:
            if sid in w["approved"] or w["registered"] < s:
                excusing.append((s, s + (w["end"] - w["start"])))
    t = datetime(2026, 10, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(2026, 11, 1, tzinfo=zone).astimezone(UTC)
    n = dict(commitment=0, downtime=0, excused=0, maintenance=0, unmonitored=0)
    while t < end:
        local = t.astimezone(zone)
        m = local.hour * 60 + local.minute
        if local.date().isoformat() not in OFF[sid] and any(
                a <= m < b for a, b in hours.get(local.weekday(), [])):
            down = any(a <= t < b for a, b in outages)
            maint = any(a <= t < b for a, b in excusing)
            n["commitment"] += 60
            n["downtime"] += 60 * (down and not maint)
            n["excused"] += 60 * (down and maint)
            n["maintenance"] += 60 * maint
            n["unmonitored"] += 60 * (not down and not any(a <= t < b for a, b in sessions))
        t += timedelta(minutes=1)
    return n


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_availability_agrees_with_per_minute_count(seed, config_dir, capsys, monkeypatch):
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    with open(config_dir / "spbe.yaml", "a") as spbe_yaml:
        spbe_yaml.write(LOCAL)
    services = yaml.safe_load((config_dir / "services.yaml").read_text())
    for svc in services["services"]:
        svc["extra_holidays"] = EXTRA.get(svc["id"], [])
    (config_dir / "services.yaml").write_text(yaml.safe_dump(services))
    engine = db.make_engine(load_config(config_dir / "spbe.yaml").database_url)
    db.upgrade(engine)
    store = Store(engine)
    windows = populate(store, random.Random(seed))
    r = spbe(capsys, "--config", str(config_dir / "spbe.yaml"), "availability", "--month",
             "2026-10", "--json")
    assert r.code == 0, r.err
    got = {f["service"]: f for f in json.loads(r.out)}
    for sid in HOURS:
        want = brute_force(store, windows, sid)
        f = got[sid]
        assert {k: f[f"{k}_seconds"] for k in want} == want, sid
        expect = round(100 * (want["commitment"] - want["downtime"]) / want["commitment"], 4)
        assert f["availability_percent"] == expect
    assert sum(f["downtime_seconds"] for f in got.values()) > 0
    assert sum(f["excused_seconds"] for f in got.values()) > 0
    # Formulir F's rows add up to its headline, and both to the per-minute count
    out = config_dir.parent / "reports"
    r = spbe(capsys, "--config", str(config_dir / "spbe.yaml"), "report", "formulir-f",
             "--month", "2026-10", "--format", "json", "--out", str(out))
    assert r.code == 0, r.err
    shown_late = 0
    for sid in HOURS:
        want = brute_force(store, windows, sid)
        form = json.loads((out / "2026-10" / f"formulir-f_{sid}_2026-10.json").read_text())
        rows, kept = form["pencapaian"]["gangguan"], form["pencapaian"]["pemeliharaan"]
        assert sum(g["diperhitungkan_detik"] for g in rows) == want["downtime"], sid
        assert sum(g["dikecualikan_detik"] for g in rows) == want["excused"], sid
        assert sum(w["dikecualikan_detik"] for w in kept) == want["excused"], sid
        assert sum(w["pemeliharaan_detik"] for w in kept) == want["maintenance"], sid
        for g in rows:  # every second of a row is in exactly one column
            assert g["dalam_jam_layanan_detik"] >= g["dikecualikan_detik"] + g[
                "diperhitungkan_detik"]
        late = [w for w in kept if w["terlambat"] and not w["disetujui"] and not w[
            "dibatalkan"]]
        assert all("belum disetujui" in w["status"] and not any(
            k["mengecualikan"] for k in w["kejadian"] if k["terlambat"]) for w in late)
        assert not any(k["mengecualikan"] for w in kept if w["dibatalkan"]
                       for k in w["kejadian"])
        shown_late += len(late)
    assert shown_late > 0  # late windows never approved are listed, not hidden
