"""Where a recovery's time went: the parts cover the span from the declaration to the
recovery exactly once, each moment under the first activity going on (checked against a
second-by-second count), and the journal's events become those activities."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from spbe_monitor.drp.breakdown import (
    CATEGORIES,
    Span,
    partition,
    spans_of,
    with_runner_gaps,
)

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


spans = st.lists(st.tuples(st.sampled_from(CATEGORIES[:-1]), st.integers(0, 300),
                           st.integers(0, 120)).map(lambda t: Span(t[0], at(t[1]),
                                                                   at(t[1] + t[2]))),
                 max_size=12)


@given(spans, st.integers(0, 100), st.integers(0, 300))
def test_the_parts_add_up_and_each_second_goes_to_the_first_activity(given_spans, begin, length):
    parts = partition(at(begin), at(begin + length), given_spans)
    assert sum(parts.values()) == length
    expected = dict.fromkeys(CATEGORIES, 0.0)
    for second in range(begin, begin + length):  # the brute-force count
        going = {s.category for s in given_spans if s.start <= at(second)
                 and s.end >= at(second + 1)}
        expected[next((c for c in CATEGORIES if c in going), "idle")] += 1
    assert parts == expected


def entry(seconds: int, event: str, step: str | None = None, **detail: object
          ) -> dict[str, object]:
    return {"at": at(seconds), "event": event, "step_id": step,
            "detail": json.dumps(detail) if detail else None}


def test_a_failure_a_crash_and_a_wait_are_told_apart():
    journal = [
        entry(0, "runner.start", holder="a"),
        entry(10, "step.running", "copy"), entry(40, "step.failed", "copy"),
        entry(70, "step.retry", "copy", by="kabid"),  # 30 s waiting for the decision
        entry(71, "step.running", "copy"),
        # the runner dies at 80 (last renewal); another takes over at 100
        entry(100, "runner.start", holder="b", dead_since=at(80).isoformat()),
        entry(100, "step.in_doubt", "copy"), entry(130, "step.mark-done", "copy"),
        entry(131, "step.waiting", "confirm"), entry(161, "step.approved", "confirm"),
        entry(170, "runner.stop", holder="b"),
    ]
    kinds = {"copy": "command", "confirm": "manual"}
    parts = partition(at(0), at(200), with_runner_gaps(spans_of(journal, kinds, at(200)),
                                                        at(0), at(200)))
    assert parts == {"automated": 30 + 9, "manual": 30, "waiting_approval": 0,
                     "waiting_decision": 30 + 30, "no_runner": 20 + 30,
                     "idle": 10 + 1 + 1 + 9}
    assert sum(parts.values()) == 200
