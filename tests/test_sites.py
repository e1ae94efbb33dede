"""Which site serves a service (pure, and the monitor without I/O): the probes that judge it
at each site, the spans Formulir F states, and an outage ending at the switch's moment even
when the monitor hears of the switch later."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from spbe_monitor.availability.sites import (
    Away,
    Switch,
    active,
    served_away,
    site_components,
)
from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger.durable import DurableWriter
from spbe_monitor.ledger.spool import Spool
from spbe_monitor.ledger.store import Store
from spbe_monitor.ledger.writes import OpenOutage
from spbe_monitor.monitor.engine import Monitor
from spbe_monitor.monitor.state import Health
from tests.conftest import FakeClock
from tests.test_engine import FAIL, OK

T = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 23.00 WIB on new year's eve


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def test_the_spans_served_away_are_clipped_to_the_period_and_say_whether_they_go_on():
    moves = [Switch("s", "secondary", at(-30)), Switch("s", "primary", at(20)),
             Switch("other", "secondary", at(0)), Switch("s", "secondary", at(50))]
    assert served_away(moves, "s", at(0), at(60)) == [
        Away(at(0), at(20), "secondary", False), Away(at(50), at(60), "secondary", True)]
    assert served_away(moves, "s", at(25), at(45)) == []
    # a second switch to the same site joins the span it continues
    again = [Switch("s", "secondary", at(0)), Switch("s", "secondary", at(10))]
    assert served_away(again, "s", at(-60), at(60)) == [Away(at(0), at(60), "secondary", True)]
    assert active(moves)["s"].at == at(50) and active(moves)["other"].site == "secondary"


def test_each_site_is_judged_on_its_own_probes_and_the_shared_ones(config_dir):
    config = load_config(config_dir / "spbe.yaml")
    svc = config.services["perizinan-online"]
    assert site_components(svc, config.probes, "primary") == list(svc.components)
    # every component of the example is labelled site: primary
    assert site_components(svc, config.probes, "secondary") == ["spbe-secondary-http"]
    assert site_components(svc, config.probes, "tersier") == []
    # a probe with no site label (a DNS, the path to both sites) judges it at every site
    shared = {**config.probes, "spbe-self-tcp": config.probes["spbe-self-tcp"].model_copy(
        update={"labels": {"role": "network"}})}
    assert site_components(svc, shared, "secondary") == ["spbe-self-tcp",
                                                         "spbe-secondary-http"]


async def test_an_outage_ends_at_the_switch_even_when_the_monitor_hears_of_it_later(
        config_dir, store: Store, clock: FakeClock, tmp_path):
    config = load_config(config_dir / "spbe.yaml")
    writer = DurableWriter(store.engine, Spool(tmp_path / "ledger.spool"), clock.now)
    mon = Monitor(config, writer.submit, clock)
    task = asyncio.create_task(writer.run())
    t0 = clock.now()
    for i in range(12):  # the primary's HTTP fails from the start; the DRC answers
        for pid, result in (("spbe-self-http", FAIL), ("spbe-self-tcp", OK),
                            ("ledger-disk", OK), ("spbe-secondary-http", OK),
                            ("loopback-icmp", OK)):
            mon.on_result(config.probes[pid], result, clock.now())
        if i == 9:  # the runner's gate passed at 60 s; the daemon reads it at 90 s
            mon.switch_site(Switch("perizinan-online", "secondary",
                                   t0 + timedelta(seconds=60)))
        clock.advance(10)
    state = mon.services["perizinan-online"]
    assert state.health is Health.UP and mon.site("perizinan-online") == "secondary"
    # an older switch than the one in effect changes nothing
    mon.switch_site(Switch("perizinan-online", "primary", t0))
    assert mon.site("perizinan-online") == "secondary"
    # normalisation's gate saw the primary pass a moment before our own next check: its
    # stale failure must not open an outage; the switch waits for our check
    back = clock.now()
    mon.switch_site(Switch("perizinan-online", "primary", back))
    assert "spbe-self-http" not in state.components  # still judged at the DRC
    clock.advance(1)
    for pid in ("spbe-self-http", "spbe-self-tcp"):
        mon.on_result(config.probes[pid], OK, clock.now())
    mon.tick()
    assert "spbe-self-http" not in state.components  # ledger-disk not checked since
    mon.on_result(config.probes["ledger-disk"], OK, clock.now())
    mon.tick()
    assert "spbe-self-http" in state.components and state.health is Health.UP
    mon.flush()
    writer.close()
    await task
    [o] = store.outages(["perizinan-online"])
    assert o.end_at == t0 + timedelta(seconds=60) and not o.closed_unobserved
    # after a reload the service is judged where it was
    again = Monitor(config, writer.submit, clock, previous=mon)
    assert again.services["perizinan-online"].components == state.components


def test_a_switch_waits_at_most_a_minute_for_our_own_checks(config_dir, clock: FakeClock):
    config = load_config(config_dir / "spbe.yaml")
    mon = Monitor(config, lambda _: None, clock)
    mon.switch_site(Switch("perizinan-online", "secondary", clock.now()))
    assert mon.services["perizinan-online"].components == ["spbe-self-http", "spbe-self-tcp",
                                                           "ledger-disk"]
    clock.advance(61)  # the secondary's probe never reported: judged there anyway
    mon.tick()
    assert mon.services["perizinan-online"].components == ["spbe-secondary-http"]


def test_a_restarted_daemon_judges_at_the_drc_from_its_first_result(config_dir,
                                                                     clock: FakeClock):
    """The daemon restarts mid-disaster: the switches the ledger holds apply before anything
    is judged, so the dead primary opens no outage in the seconds after the start."""
    config = load_config(config_dir / "spbe.yaml")
    opened: list[object] = []
    mon = Monitor(config, opened.append, clock)
    mon.switch_site(Switch("perizinan-online", "secondary", clock.now() - timedelta(days=2)),
                    at_start=True)
    assert mon.services["perizinan-online"].components == ["spbe-secondary-http"]
    for _ in range(5):
        for pid, result in (("spbe-self-http", FAIL), ("spbe-self-tcp", FAIL),
                            ("ledger-disk", FAIL), ("spbe-secondary-http", OK)):
            mon.on_result(config.probes[pid], result, clock.now())
        clock.advance(10)
    assert mon.services["perizinan-online"].health is Health.UP
    assert not [w for w in opened if isinstance(w, OpenOutage)
                and w.service_id == "perizinan-online"]
