"""Operating hours that follow the Indonesian calendar: the `holidays` library's 2026 calendar
against the SKB 3 Menteri (tests/data, the decree's dates), figures to the second for months
with holidays computed here day by day from the decree, a year with and without cuti
bersama, Ramadan hours, a filed month that keeps its calendar until an audited change, and
bad calendar files named at file:line."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from spbe_monitor.config.holidays import library
from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger import db
from spbe_monitor.ledger.store import Store
from spbe_monitor.monthly import figures_for_month
from tests.cli_helpers import spbe

pytestmark = pytest.mark.date_sweep  # tests/timetravel.py

DECREE = Path(__file__).parent / "data" / "libur-nasional-2026.yaml"
OFFICE = "persuratan-online"  # Mon–Fri 07:30–16:00, made WIB here
WIB = ZoneInfo("Asia/Jakarta")
KOORDINATOR = "198004212005011004"  # Koordinator Layanan of every service
TEKNIS = "199002102015032005"


def decree() -> tuple[dict[date, str], dict[date, str]]:
    data = yaml.safe_load(DECREE.read_text())
    return ({e["date"]: e["name"] for e in data["libur_nasional"]},
            {e["date"]: e["name"] for e in data["cuti_bersama"]})


@pytest.fixture
def office(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example config with its office-hours service in WIB."""
    monkeypatch.delenv("SPBE_DATABASE_URL", raising=False)
    services = config_dir / "services.yaml"
    services.write_text(services.read_text().replace("Asia/Makassar", "Asia/Jakarta"))
    return config_dir


def store_of(config_dir: Path) -> Store:
    engine = db.make_engine(load_config(config_dir / "spbe.yaml").database_url)
    db.upgrade(engine)
    return Store(engine)


def test_the_library_has_the_2026_decree_day_for_day():
    national, cuti = decree()
    found = library(2026)
    assert {h.day for h in found if h.kind == "nasional"} == set(national)
    assert {h.day for h in found if h.kind == "cuti_bersama"} == set(cuti)
    weekdays = [d for d in (*national, *cuti) if d.weekday() < 5]
    assert len(weekdays) == 21  # 13 national holidays on weekdays + 8 cuti bersama


def committed_by_hand(year: int, month: int, off: set[date]) -> int:
    """Seconds of Mon–Fri 07:30–16:00 in the month, day by day, skipping `off`."""
    day, seconds = date(year, month, 1), 0
    while day.month == month:
        if day.weekday() < 5 and day not in off:
            seconds += int(8.5 * 3600)
        day += timedelta(days=1)
    return seconds


@pytest.mark.parametrize(("month", "days"), [(3, 17), (5, 16), (12, 21)])
def test_months_with_holidays_to_the_second(office, month, days):
    national, cuti = decree()
    off = set(national) | set(cuti)
    store = store_of(office)
    # an hour down on a holiday does not count; an hour down on a working day does
    holiday = min(d for d in off if d.month == month and d.weekday() < 5)
    working = next(d for d in (date(2026, month, n) for n in range(1, 29))
                   if d.weekday() < 5 and d not in off)
    for day in (holiday, working):
        start = datetime(day.year, day.month, day.day, 9, tzinfo=WIB)
        store.add_manual_outage(OFFICE, start, start + timedelta(hours=1), "mayor", "P2", "x",
                                "t", start + timedelta(hours=2))
    config = load_config(office / "spbe.yaml")
    [month_figures] = figures_for_month(config, store, 2026, month, [OFFICE],
                                        datetime(2027, 1, 2, tzinfo=UTC))
    f = month_figures.figures
    assert f.commitment_seconds == committed_by_hand(2026, month, off) == days * 30600
    assert f.downtime_seconds == 3600
    assert {d["tanggal"] for d in month_figures.days_off} == {
        d.isoformat() for d in off if d.month == month and d.weekday() < 5}
    assert config.services["perizinan-online"].holidays == "none"  # 24x7 keeps every day


def test_the_year_with_and_without_cuti_bersama(office, capsys):
    r = spbe(capsys, "--config", str(office / "spbe.yaml"), "calendar", "--service", OFFICE,
             "--year", "2026", "--json")
    assert r.code == 0, r.err
    view = json.loads(r.out)
    totals = {rule: (sum(m["days"][rule] for m in view["months"]),
                     sum(m["seconds"][rule] for m in view["months"]))
              for rule in ("none", "nasional", "nasional+cuti_bersama")}
    assert totals == {"none": (261, 261 * 30600), "nasional": (248, 248 * 30600),
                      "nasional+cuti_bersama": (240, 240 * 30600)}  # 2,040 hours
    assert view["holidays_rule"] == "nasional+cuti_bersama"
    r = spbe(capsys, "--config", str(office / "spbe.yaml"), "calendar", "--service", OFFICE,
             "--year", "2026")
    assert "year      261 d      2,218.5 h    248 d        2,108 h    240 d        2,040 h" \
        in r.out
    assert "2026-03-18 Wed  cuti_bersama Cuti Bersama Hari Suci Nyepi [1]" in r.out
    assert "  [1] pustaka holidays " in r.out
    assert max(len(line) for line in r.out.splitlines()) <= 80


def test_a_decree_file_local_holidays_and_ramadan_hours(office, capsys):
    """A decree file replaces the library for its year; Hari Jadi is off for office
    services only; Ramadan 1448 H has its own hours."""
    decree_2027 = office / "skb-2027.yaml"
    decree_2027.write_text(yaml.safe_dump({
        "year": 2027, "decree": "SKB 3 Menteri 2027 (contoh)",
        "libur_nasional": [{"date": date(2027, 3, 10), "name": "Idulfitri 1448 H"},
                           {"date": date(2027, 3, 11), "name": "Idulfitri 1448 H"}],
        "cuti_bersama": [{"date": date(2027, 3, 12), "name": "Cuti bersama Idulfitri"}]}))
    spbe_yaml = office / "spbe.yaml"
    spbe_yaml.write_text(spbe_yaml.read_text() + (
        "calendar:\n  local: [{date: 2027-03-03, name: Hari Jadi Kabupaten Serang}]\n"
        "  decrees: [skb-2027.yaml]\n"
        "special_hours:\n  - {name: Ramadan 1448 H, from: 2027-02-08, to: 2027-03-09,\n"
        "     mon-thu: \"08:00-15:00\", fri: \"08:00-15:30\"}\n"))
    config = load_config(spbe_yaml)
    store = store_of(office)
    [march] = figures_for_month(config, store, 2027, 3, [OFFICE, "perizinan-online"],
                                datetime(2027, 4, 2, tzinfo=UTC))[:1]
    off = {date(2027, 3, 3), date(2027, 3, 10), date(2027, 3, 11), date(2027, 3, 12)}
    expected, day = 0, date(2027, 3, 1)
    while day.month == 3:
        if day.weekday() < 5 and day not in off:
            ramadan = day <= date(2027, 3, 9)
            expected += (7 * 3600 + (1800 if day.weekday() == 4 else 0)) if ramadan \
                else 30600
        day += timedelta(days=1)
    assert march.figures.commitment_seconds == expected
    assert [d["sumber"] for d in march.days_off if d["tanggal"] == "2027-03-10"] == [
        "SKB 3 Menteri 2027 (contoh) (skb-2027.yaml)"]
    [izin] = figures_for_month(config, store, 2027, 3, ["perizinan-online"],
                               datetime(2027, 4, 2, tzinfo=UTC))
    assert izin.figures.commitment_seconds == 31 * 86400  # 24x7: no holidays, no Ramadan


def test_a_filed_month_keeps_its_calendar_until_an_audited_change(office, capsys):
    args = ("--config", str(office / "spbe.yaml"))
    store = store_of(office)
    r = spbe(capsys, *args, "report", "formulir-f", "--month", "2026-10", "--service", OFFICE,
             "--format", "json", "--out", str(office.parent / "laporan"))
    assert r.code == 0, r.err
    before = json.loads(spbe(capsys, *args, "availability", "--month", "2026-10",
                             "--service", OFFICE, "--json").out)[0]
    assert before["calendar_frozen"] and before["commitment_seconds"] == 22 * 30600
    spbe_yaml = office / "spbe.yaml"  # a local holiday decreed after October was filed
    spbe_yaml.write_text(spbe_yaml.read_text() + "calendar:\n  local: [2026-10-05]\n")
    after = json.loads(spbe(capsys, *args, "availability", "--month", "2026-10",
                            "--service", OFFICE, "--json").out)[0]
    assert after["commitment_seconds"] == before["commitment_seconds"]  # still as filed
    r = spbe(capsys, *args, "calendar", "--service", OFFICE, "--year", "2026")
    assert "2026-10: filed with another calendar than the config gives now" in r.out
    r = spbe(capsys, *args, "--by", TEKNIS, "calendar", "--service", OFFICE, "--refreeze",
             "2026-10", "--reason", "Keputusan Bupati tentang Hari Jadi")
    assert r.code == 3 and "Koordinator Layanan" in r.err
    r = spbe(capsys, *args, "--by", KOORDINATOR, "calendar", "--service", OFFICE,
             "--refreeze", "2026-10", "--reason", "Keputusan Bupati tentang Hari Jadi")
    assert r.code == 0, r.err
    assert "days off added: 2026-10-05" in r.out
    changed = json.loads(spbe(capsys, *args, "availability", "--month", "2026-10",
                              "--service", OFFICE, "--json").out)[0]
    assert changed["commitment_seconds"] == 21 * 30600
    entries = [e for e in store.audit_entries() if e.action == "calendar.freeze"]
    assert [e.outcome for e in entries] == ["done", "refused", "done"]
    assert entries[-1].actor == KOORDINATOR and entries[-1].after == {
        "days_off": ["2026-10-05"], "reason": "Keputusan Bupati tentang Hari Jadi"}
    assert entries[-1].before == {"days_off": []}


@pytest.mark.parametrize(("where", "text", "needle"), [
    ("local", "- 2026-08-20\n- 2026-02-30\n", "hari-libur.yaml:2: invalid value: day is out"),
    ("ics", "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-13-45\n"
     "END:VEVENT\nEND:VCALENDAR\n", "libur.ics:4: not a valid iCalendar event"),
    ("special", "", "special_hours.0: the period ends (2027-02-01) before it starts"),
])
def test_bad_calendar_input_is_named_at_file_and_line(office, capsys, where, text, needle):
    spbe_yaml = office / "spbe.yaml"
    if where == "local":
        (office / "hari-libur.yaml").write_text(text)
        extra = "calendar:\n  local: hari-libur.yaml\n"
    elif where == "ics":
        (office / "libur.ics").write_text(text)
        extra = "calendar:\n  local: libur.ics\n"
    else:
        extra = ("special_hours:\n  - {from: 2027-03-09, to: 2027-02-01, mon-fri: "
                 "\"08:00-15:00\"}\n")
    spbe_yaml.write_text(spbe_yaml.read_text() + extra)
    r = spbe(capsys, "--config", str(spbe_yaml), "check-config")
    assert r.code == 2 and needle in r.err, r.err
    assert "Traceback" not in r.err


def test_the_exporters_month_to_date_commitment_skips_the_days_off(office):
    """On 25 March 2026 at 12.00 WIB the exporter's ledger view has committed the 12 working
    days before it (Nyepi, Idulfitri and its cuti bersama left out) and half of the 25th."""
    from spbe_monitor.exporter.ledger_view import read_view
    from tests.conftest import FakeClock

    national, cuti = decree()
    off = set(national) | set(cuti)
    clock = FakeClock(datetime(2026, 3, 25, 12, tzinfo=WIB).astimezone(UTC))
    view = read_view(load_config(office / "spbe.yaml"), store_of(office), clock)
    whole = [date(2026, 3, n) for n in range(1, 25)
             if date(2026, 3, n).weekday() < 5 and date(2026, 3, n) not in off]
    assert len(whole) == 12
    assert view.months[OFFICE].figures.commitment_seconds == 12 * 30600 + 4.5 * 3600
