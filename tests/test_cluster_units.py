"""Units and their assignment (pure): a probe judged by one member only, and a member
joining or leaving moves only its own share."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spbe_monitor.cluster.units import assignment, units

probe_ids = st.sampled_from([f"p{i}" for i in range(12)])
services = st.dictionaries(st.sampled_from([f"s{i}" for i in range(10)]),
                           st.lists(probe_ids, max_size=3), max_size=10)
members = st.lists(st.sampled_from([f"m{i}" for i in range(8)]), min_size=1, max_size=6,
                   unique=True)


@given(services, st.lists(probe_ids, max_size=12))
def test_every_probe_and_service_is_in_exactly_one_unit_with_its_sharers(svc, extra):
    got = units(svc, extra)
    for pid in {p for used in svc.values() for p in used} | set(extra):
        assert sum(pid in u.probes for u in got.values()) == 1
    for sid, used in svc.items():
        (home,) = [u for u in got.values() if sid in u.services]
        assert set(used) <= home.probes  # its probes travel with it
    for a in svc:  # services sharing a probe share a unit
        for b in svc:
            if set(svc[a]) & set(svc[b]):
                assert [u.key for u in got.values() if a in u.services] == [
                    u.key for u in got.values() if b in u.services]


def test_units_are_named_by_their_smallest_service_or_their_lone_probe():
    got = units({"web": ["db", "http"], "api": ["db"], "mail": ["smtp"]}, ["host-1"])
    assert {k: (sorted(u.services), sorted(u.probes)) for k, u in got.items()} == {
        "api": (["api", "web"], ["db", "http"]), "mail": (["mail"], ["smtp"]),
        "probe:host-1": ([], ["host-1"])}


@given(st.lists(st.text(min_size=1, max_size=6), max_size=40, unique=True), members,
       st.sampled_from([f"m{i}" for i in range(8)]))
def test_a_member_joining_or_leaving_moves_only_its_share(keys, live, other):
    before = assignment(keys, live)
    assert set(before) == set(keys) and set(before.values()) <= set(live)
    if other in live:
        after = assignment(keys, [m for m in live if m != other])
        assert {k for k in keys if before[k] != after.get(k)} == {
            k for k in keys if before[k] == other}
    else:
        after = assignment(keys, [*live, other])
        assert {k for k in keys if before[k] != after[k]} == {
            k for k in keys if after[k] == other}


def test_the_assignment_is_the_same_whatever_order_members_are_listed_in():
    keys = [f"s{i}" for i in range(200)]
    a = assignment(keys, ["m1", "m2", "m3"])
    assert a == assignment(keys, ["m3", "m1", "m2"])
    share = {m: sum(1 for v in a.values() if v == m) for m in ("m1", "m2", "m3")}
    assert all(40 <= n <= 95 for n in share.values()), share  # roughly a third each
    assert assignment(keys, []) == {}
