"""Pure report builders: insights from evidence, cause ranking without double counting,
Formulir C, and the semester evaluation."""

from datetime import UTC, datetime, timedelta
from typing import Any

from spbe_monitor.config.loader import load_config
from spbe_monitor.ledger.store import Outage, UtilisationHour
from spbe_monitor.reports import evaluasi, formulir_c
from spbe_monitor.reports.insights import (
    maintenance_overruns,
    recurring_causes,
    storage_full,
    sustained_load,
)
from spbe_monitor.reports.words import angka, bilangan, durasi, jam, periode, waktu
from tests.conftest import EXAMPLE_CONFIG

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def hours(metric: str, values: list[float], probe: str = "srv") -> list[UtilisationHour]:
    return [UtilisationHour(probe, metric, T0 + timedelta(hours=i), 120, v, v + 1,
                            T0 + timedelta(hours=i, minutes=10), v + 0.5)
            for i, v in enumerate(values)]


def outage(i: int, start: datetime, minutes: int, cause: str) -> Outage:
    return Outage(i, "s", start, start + timedelta(minutes=minutes), "mayor", "P1", "probe",
                  cause, None, False)


def test_storage_full_date_from_the_trend_and_none_when_flat():
    [found] = storage_full(hours("disk_used_percent:/srv", [50 + i / 24 for i in range(240)]),
                           "Asia/Jakarta")
    assert found["angka"]["pertumbuhan_persen_per_hari"] == 1.0
    full = datetime.fromisoformat(found["angka"]["perkiraan_penuh"])
    assert abs((full - (T0 + timedelta(days=50))).total_seconds()) < 3600
    assert storage_full(hours("disk_used_percent:/srv", [50.0] * 240), "Asia/Jakarta") == []


def test_sustained_cpu_suggests_capacity_but_a_spike_does_not():
    busy = sustained_load(hours("cpu_used_percent", [90.0] * 30 + [20.0] * 70))
    assert busy[0]["angka"]["jam_di_atas_ambang"] == 30
    assert sustained_load(hours("cpu_used_percent", [95.0] * 5 + [20.0] * 95)) == []


def test_recurring_cause_and_maintenance_overrun():
    items = [outage(i, T0 + timedelta(days=i), 30, "Disk  penuh") for i in range(3)]
    [rca] = recurring_causes([*items, outage(9, T0, 5, "lain")])
    assert rca["angka"]["kejadian"] == 3
    win = (int(T0.timestamp()), int((T0 + timedelta(hours=2)).timestamp()))
    [over] = maintenance_overruns([outage(1, T0 + timedelta(hours=1), 90, "x")], [win],
                                  "Asia/Jakarta")
    assert over["angka"]["lewat_detik"] == 1800
    assert maintenance_overruns([outage(1, T0 + timedelta(minutes=10), 30, "x")], [win],
                                "Asia/Jakarta") == []


def test_formulir_c_rows_use_the_regulations_words():
    data = formulir_c.build(load_config(EXAMPLE_CONFIG / "spbe.yaml"))
    assert data["layanan"][0] == {"no": 1, "layanan": "Perizinan Online",
                                  "penyedia_layanan": "DPMPPTSP", "klasifikasi": "Kritis",
                                  "ketersediaan": "95%", "rto": "1 hari", "rpo": "1 hari",
                                  "jam_layanan": "24 jam × 7 hari"}
    assert [r["jam_layanan"] for r in data["layanan"][1:]] == [
        "Senin–Jumat 07.30–16.00 WITA", "Senin–Kamis 07.30–16.00; Jumat 07.30–16.30 WIT"]


def test_words():
    assert periode(2026, 11) == "November 2026"
    assert durasi(3 * 3600 + 5 * 60) == "3 jam 5 menit" and durasi(42) == "42 detik"
    assert angka(99.65277, 4) == "99,6528" and angka(1234567.5, 1) == "1.234.567,5"
    assert waktu(T0, "Asia/Makassar") == "1 Oktober 2026 pukul 08.00 WITA"
    assert jam(170 * 3600 + 30 * 60 + 5) == "170 jam 30 menit 5 detik"
    assert bilangan(2678400) == "2.678.400"


def test_semester_is_the_sum_of_its_months(config_dir, store):
    from spbe_monitor.monthly import ServiceMonth, figures_for_month

    config = load_config(config_dir / "spbe.yaml")
    now = datetime(2026, 11, 28, tzinfo=UTC)
    store.add_manual_outage("perizinan-online", datetime(2026, 7, 1, tzinfo=UTC),
                            datetime(2026, 7, 3, tzinfo=UTC), "mayor", "P1", "banjir", "t", now)

    def semester() -> tuple[dict[str, list[ServiceMonth]], dict[str, Any]]:
        months: dict[str, list[ServiceMonth]] = {sid: [] for sid in config.services}
        for y, m in evaluasi.semester_months(2026, 2)[:4]:
            for f in figures_for_month(config, store, y, m, list(config.services), now):
                months[f.service.id].append(f)
        return months, evaluasi.build(2026, 2, months, [])

    # nothing observed: no service is judged, whatever its figure says
    _, blind = semester()
    assert blind["bab_c"]["jumlah_tidak_dapat_dinilai"] == 3
    assert blind["bab_c"]["jumlah_tercapai"] == blind["bab_c"]["jumlah_tidak_tercapai"] == 0
    assert {r["putusan"] for r in blind["bab_c"]["layanan"]} == {"tidak_dapat_dinilai",
                                                                "belum_dipantau"}
    session = store.open_session("h", datetime(2026, 6, 30, tzinfo=UTC))
    store.beat(session, now)
    months, data = semester()
    izin = next(r for r in data["bab_c"]["layanan"] if r["id"] == "perizinan-online")
    committed = sum(f.figures.commitment_seconds for f in months["perizinan-online"])
    assert izin["realisasi_persen"] == round(100 * (committed - 2 * 86400) / committed, 4)
    # two days down in July miss that month (93.5 %) but not the semester so far (98.4 %)
    assert izin["bulan_tidak_tercapai"] == ["2026-07"] and izin["tercapai"] is True
    assert data["bab_d"]["keterangan"].startswith("data tidak tersedia")
    # simpeg-internal has no component: watched by nobody, it met nothing (issue 31, item 7)
    assert data["bab_c"]["jumlah_tercapai"] + data["bab_c"]["jumlah_tidak_tercapai"] == 2
    simpeg = next(r for r in data["bab_c"]["layanan"] if r["id"] == "simpeg-internal")
    assert simpeg["putusan"] == "belum_dipantau"
