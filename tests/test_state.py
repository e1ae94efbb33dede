from datetime import UTC, datetime, timedelta

from spbe_monitor.monitor.state import ComponentState, Health, ServiceState, Transition, needed
from spbe_monitor.probers.base import ErrorKind, ProbeResult

T0 = datetime(2026, 11, 2, tzinfo=UTC)
OK = ProbeResult(True, 0.01, message="ok")
SLOW = ProbeResult(True, 2.0, message="ok", degraded="latency 2000 ms above 500 ms")
FAIL = ProbeResult(False, 0.01, ErrorKind.REFUSED, "refused")
BLIND = ProbeResult(False, 0.0, ErrorKind.LOCAL, "not observed: Too many open files")


def feed(c: ComponentState, seq: str) -> list[Transition]:
    """One check every 10 s: '+' pass, '-' fail, '~' degraded pass, '?' the monitor could
    not check (its own failure)."""
    out = []
    for i, ch in enumerate(seq):
        t = c.observe({"+": OK, "-": FAIL, "~": SLOW, "?": BLIND}[ch],
                      T0 + timedelta(seconds=10 * i))
        if t:
            out.append(t)
    return out


def test_down_after_n_failures_dated_from_the_first_failed_check():
    c = ComponentState("web", failures_to_down=3, successes_to_up=1)
    ts = feed(c, "++---+")
    assert [(t.old, t.new) for t in ts] == [(Health.UNKNOWN, Health.UP), (Health.UP, Health.DOWN),
                                           (Health.DOWN, Health.UP)]
    assert ts[1].since == T0 + timedelta(seconds=20)  # first of the three failures
    assert ts[2].since == T0 + timedelta(seconds=50)


def test_flapping_below_the_threshold_never_goes_down():
    c = ComponentState("web", failures_to_down=3, successes_to_up=1)
    assert [t.new for t in feed(c, "+--+--+--+")] == [Health.UP]


def test_recovery_needs_m_passes_and_is_dated_from_the_first_of_them():
    c = ComponentState("web", failures_to_down=1, successes_to_up=3)
    ts = feed(c, "+-++-+++")
    assert [t.new for t in ts] == [Health.UP, Health.DOWN, Health.UP]
    assert ts[2].since == T0 + timedelta(seconds=50)


def test_degraded_is_a_passing_state():
    c = ComponentState("web", failures_to_down=2, successes_to_up=1)
    ts = feed(c, "+~~+")
    assert [t.new for t in ts] == [Health.UP, Health.DEGRADED, Health.UP]
    assert Health.DEGRADED.passing and "latency" in ts[1].message


def states(**health: tuple[Health, int]) -> dict[str, ComponentState]:
    out = {}
    for pid, (h, sec) in health.items():
        c = ComponentState(pid, 1, 1)
        c.health, c.since = h, T0 + timedelta(seconds=sec)
        out[pid] = c
    return out


def trigger(sec: int) -> Transition:
    return Transition("x", Health.UP, Health.DOWN, T0 + timedelta(seconds=sec), "")


def test_service_rules_all_any_and_at_least_n():
    assert needed("all", 3) == 3 and needed("any", 3) == 1 and needed(2, 3) == 2
    comps = states(a=(Health.DOWN, 30), b=(Health.DOWN, 10), c=(Health.UP, 0))
    svc_all = ServiceState("s", "all", ["a", "b", "c"])
    t = svc_all.evaluate(comps, trigger(30))
    assert t is not None and t.new is Health.DOWN and t.since == T0 + timedelta(seconds=10)
    svc_two = ServiceState("s", 2, ["a", "b", "c"])
    t = svc_two.evaluate(comps, trigger(30))
    # with two needed, the service fell once the second component was down
    assert t is not None and t.new is Health.DOWN and t.since == T0 + timedelta(seconds=30)
    svc_any = ServiceState("s", "any", ["a", "b", "c"])
    t = svc_any.evaluate(comps, trigger(30))
    assert t is not None and t.new is Health.DEGRADED and "a down" in t.message


def test_service_waits_while_components_are_unknown():
    comps = states(a=(Health.DOWN, 10), b=(Health.UNKNOWN, 0))
    assert ServiceState("s", "any", ["a", "b"]).evaluate(comps, trigger(10)) is None
    assert ServiceState("s", "all", ["a", "b"]).evaluate(comps, trigger(10)) is not None


def test_the_monitors_own_failure_is_unobserved_never_down():
    c = ComponentState("web", failures_to_down=2, successes_to_up=1)
    ts = feed(c, "+??????+")
    assert [(t.old, t.new) for t in ts] == [(Health.UNKNOWN, Health.UP),
                                           (Health.UP, Health.UNKNOWN),
                                           (Health.UNKNOWN, Health.UP)]
    assert ts[1].since == T0 + timedelta(seconds=10) and "not observed" in ts[1].message
    # a blind check breaks a failing streak: two real failures in a row are needed again
    c = ComponentState("web", failures_to_down=2, successes_to_up=1)
    assert [t.new for t in feed(c, "+-?-")] == [Health.UP, Health.UNKNOWN]
    assert [t.new for t in feed(c, "--")] == [Health.DOWN]
