"""Several locations, one component (pure): quorum, merging in time order whatever the
delays, and a silent location that neither votes nor holds judgement back for ever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from spbe_monitor.monitor.state import ComponentState, Health
from spbe_monitor.monitor.vantage import Vantage
from spbe_monitor.probers.base import ErrorKind, ProbeResult

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
OK = ProbeResult(True, 0.01)
FAIL = ProbeResult(False, 0.01, ErrorKind.REFUSED, "connection refused")


def vantage(quorum: int | None = None, silence: float = 60, home: str | None = "pusat"
            ) -> Vantage:
    """Probed from pusat (the daemon's own location, unless `home` says otherwise) and isp-b."""
    return Vantage("web", {loc: ComponentState("web", 2, 1) for loc in ("pusat", "isp-b")},
                   quorum, dict.fromkeys(("pusat", "isp-b"), timedelta(seconds=silence)), home)


def feed(v: Vantage, script: dict[str, list[bool]], every: float = 10
         ) -> list[tuple[str, str, float]]:
    """Results of both locations at the same instants, pusat's delivered first."""
    out = []
    n = max(len(x) for x in script.values())
    for i in range(n):
        at = T0 + timedelta(seconds=i * every)
        for loc, oks in script.items():
            if i < len(oks):
                for t in v.offer(loc, OK if oks[i] else FAIL, at, at):
                    out.append((t.old.value, t.new.value, (t.since - T0).total_seconds()))
    return out


def test_down_from_an_agent_only_is_no_outage_under_quorum_two_and_one_under_one():
    script = {"isp-b": [True, False, False, False, True], "pusat": [True] * 5}
    two = vantage(quorum=2)
    assert feed(two, script) == [("unknown", "up", 0.0)]
    one = vantage(quorum=1)
    assert feed(one, script) == [("unknown", "up", 0.0), ("up", "down", 10.0),
                                 ("down", "up", 40.0)]
    assert one.down_from == ()
    # by default every observing location must agree
    assert feed(vantage(), script) == [("unknown", "up", 0.0)]


def test_an_agent_cannot_cancel_what_the_home_location_sees_down():
    """pusat (the daemon's own site) sees the target down, isp-b says up: no outage, but
    no available time either: disputed, unknown (unmonitored) until pusat sees it pass."""
    script = {"pusat": [True, False, False, False, True], "isp-b": [True] * 5}
    for v in (vantage(quorum=2), vantage()):
        assert feed(v, script) == [("unknown", "up", 0.0), ("up", "unknown", 10.0),
                                   ("unknown", "up", 40.0)]
    v = vantage()
    feed(v, {"pusat": [True, False, False], "isp-b": [True] * 3})
    assert v.health is Health.UNKNOWN
    # without a home location (every site an agent) the old vote stands: up
    assert feed(vantage(home=None), script) == [("unknown", "up", 0.0)]


def test_an_agent_cannot_close_an_outage_the_home_location_still_sees():
    v = vantage()
    got = feed(v, {"pusat": [True, False, False, False, False, False, True],
                   "isp-b": [True, False, False, True, True, True, True]})
    # down from both at 10 s; isp-b's "up" at 30 s changes nothing: pusat still sees it down
    assert got == [("unknown", "up", 0.0), ("up", "down", 10.0), ("down", "up", 60.0)]


def test_down_everywhere_is_dated_from_when_the_quorum_was_met():
    v = vantage()
    got = feed(v, {"pusat": [True, False, False, False, True],
                   "isp-b": [True, True, False, False, True]})
    # pusat's down alone (10 s) is disputed; the outage is dated from when both saw it
    assert got == [("unknown", "up", 0.0), ("up", "unknown", 10.0), ("unknown", "down", 20.0),
                   ("down", "up", 40.0)]


def test_a_location_delayed_by_a_minute_gives_the_same_judgement_as_on_time():
    seen = [True, True, False, False, False, True, True]
    truth = feed(vantage(silence=120), {"pusat": seen, "isp-b": seen})
    late = vantage(silence=120)
    got = late.offer("isp-b", OK, T0, T0)  # it reported once before the cut
    for i, ok in enumerate(seen):
        at = T0 + timedelta(seconds=i * 10)
        got += late.offer("pusat", result(ok), at, at)
    for i, ok in enumerate(seen[1:], start=1):  # then its spool, in order, a minute late
        got += late.offer("isp-b", result(ok), T0 + timedelta(seconds=i * 10),
                          T0 + timedelta(seconds=70))
    assert [(t.old.value, t.new.value, (t.since - T0).total_seconds()) for t in got] == truth


def test_a_silent_location_stops_voting_and_stops_holding_judgement():
    v = vantage(silence=30)
    feed(v, {"pusat": [True], "isp-b": [True]})
    assert v.health is Health.UP
    got = []
    for i in range(1, 8):  # isp-b says nothing any more; pusat sees the target down
        at = T0 + timedelta(seconds=i * 10)
        got += v.offer("pusat", FAIL, at, at)
    assert v.observing(T0 + timedelta(seconds=70)) == ["pusat"]
    # judged by pusat alone once isp-b fell silent, dated from pusat's own first failure
    assert [(t.new.value, (t.since - T0).total_seconds()) for t in got] == [("down", 10.0)]
    assert v.down_from == ("pusat",)
    assert v.offer("isp-b", OK, T0 + timedelta(seconds=20), T0 + timedelta(seconds=75)) == []
    assert v.late == 1  # too late for judgement


def result(ok: bool) -> ProbeResult:
    return OK if ok else FAIL


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=30),
       st.integers(min_value=1, max_value=30))
def test_judgement_does_not_depend_on_how_late_a_location_delivers(rows, cut):
    """isp-b delivers its first `cut` results on time and the rest in one burst at the
    end (cut off, then replaying its spool): the transitions are those of on-time delivery."""
    want = feed(vantage(silence=10_000), {"pusat": [a for a, _ in rows],
                                          "isp-b": [b for _, b in rows]})
    v = vantage(silence=10_000)
    at = [T0 + timedelta(seconds=i * 10) for i in range(len(rows))]
    end = T0 + timedelta(seconds=len(rows) * 10)
    got = []
    for i, (a, b) in enumerate(rows):
        got += v.offer("pusat", result(a), at[i], at[i])
        if i < cut:
            got += v.offer("isp-b", result(b), at[i], at[i])
    for i in range(cut, len(rows)):
        got += v.offer("isp-b", result(rows[i][1]), at[i], end)
    assert [(t.old.value, t.new.value, (t.since - T0).total_seconds()) for t in got] == want


def test_when_every_location_falls_silent_the_component_is_unknown_not_down():
    v = vantage(silence=30)
    got = feed(v, {"pusat": [False, False], "isp-b": [False, False]})
    assert got[-1][1] == "down"
    quiet = v.drain(T0 + timedelta(seconds=45))
    assert [(t.old.value, t.new.value, (t.since - T0).total_seconds()) for t in quiet] == [
        ("down", "unknown", 10.0)]  # from the last report, never later
    assert v.observing(T0 + timedelta(seconds=45)) == []


def test_an_explicit_quorum_no_location_can_meet_alone_gives_no_verdict_of_down():
    v = vantage(quorum=2)
    got = [(t.old.value, t.new.value) for t in (
        v.offer("pusat", FAIL, T0, T0) + v.offer("pusat", FAIL, T0 + timedelta(seconds=10),
                                                  T0 + timedelta(seconds=10)))]
    assert got == []  # isp-b has not reported: pusat's down alone decides nothing
    assert v.health is Health.UNKNOWN


def test_a_location_that_joins_late_is_waited_for_once_it_reports():
    v = vantage(quorum=2)
    for i in range(5):  # isp-b alone, down: no verdict
        at = T0 + timedelta(seconds=i)
        v.offer("isp-b", FAIL, at, at)
    # pusat's first results are older than what was judged: not judged, but it is heard
    v.offer("pusat", OK, T0 + timedelta(seconds=3), T0 + timedelta(seconds=5))
    assert v.observing(T0 + timedelta(seconds=5)) == ["pusat", "isp-b"]
    v.offer("isp-b", FAIL, T0 + timedelta(seconds=6), T0 + timedelta(seconds=6))
    assert v.health is Health.UNKNOWN  # isp-b's 6 s waits for pusat
    got = v.offer("pusat", OK, T0 + timedelta(seconds=6), T0 + timedelta(seconds=7))
    assert [(t.new.value, (t.since - T0).total_seconds()) for t in got] == [("up", 6.0)]
