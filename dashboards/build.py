"""The Grafana dashboards, built with Grafana's own grafana-foundation-sdk (typed builders
generated from Grafana's schemas) so what Grafana imports is what its schema says. The JSON
in dashboards/*.json is generated here and checked in; a test regenerates it and compares.

    .venv/bin/python -m dashboards.build     # rewrite dashboards/*.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import (
    bargauge,
    prometheus,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders.dashboard import Dashboard, DashboardLink, QueryVariable
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    GridPos,
    RangeMap,
    RegexMap,
    SpecialValueMap,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

HERE = Path(__file__).parent
DS = DataSourceRef(type_val="prometheus", uid="spbe-prometheus")
HOME = DashboardLink("Ringkasan Ketersediaan").type(DashboardLinkType.LINK).url(
    "/d/spbe-ringkasan")
UP_DOWN: list[ValueMap | RangeMap | RegexMap | SpecialValueMap] = [
    ValueMap({"1": ValueMappingResult(text="tersedia", color="green"),
              "0": ValueMappingResult(text="tidak tersedia", color="red")})]
Panel = Any  # a panel builder of any kind


def query(ref: str, expr: str, legend: str, now: bool = False) -> prometheus.Dataquery:
    """A PromQL target; `now`: an instant query shown as a table."""
    q = prometheus.Dataquery().ref_id(ref).expr(expr).legend_format(legend).datasource(DS)
    return q.instant().format(PromQueryFormat.TABLE) if now else q


def place(panel: Panel, number: int, where: tuple[int, int, int, int], title: str,
          *targets: prometheus.Dataquery, description: str = "", unit: str | None = None
          ) -> Panel:
    x, y, w, h = where
    panel = panel.id(number).title(title).description(description).datasource(DS).grid_pos(
        GridPos(h=h, w=w, x=x, y=y))
    for target in targets:
        panel = panel.with_target(target)
    return panel.unit(unit) if unit else panel


def board(uid: str, title: str, *panels: Panel, variable: QueryVariable | None = None
          ) -> Dashboard:
    dash = (Dashboard(title).uid(uid).tags(["spbe"]).editable().refresh("1m")
            .time("now-24h", "now").timezone("browser").link(HOME))
    dash = dash.readonly()
    if variable is not None:
        dash = dash.with_variable(variable)
    for panel in panels:
        dash = dash.with_panel(panel)
    return dash


def ringkasan() -> Dashboard:
    return board(
        "spbe-ringkasan", "Ringkasan Ketersediaan Layanan SPBE",
        place(table.Panel(), 1, (0, 0, 12, 8), "Status layanan saat ini",
              query("A", "spbe_service_up", "{{service}}", now=True),
              query("B", "spbe_service_degraded", "{{service}}", now=True),
              query("C", "spbe_service_in_maintenance", "{{service}}", now=True),
              description="1 = tersedia, 0 = tidak tersedia; terdegradasi dan pemeliharaan "
                          "terjadwal."),
        place(bargauge.Panel(), 2, (12, 0, 12, 8), "Ketersediaan bulan berjalan vs target (%)",
              query("A", "100 * spbe:service_month_availability:ratio", "{{service}}"),
              query("B", "100 * spbe_service_availability_target_ratio", "target {{service}}"),
              description="Rumus Perbup 49/2024: (Komitmen − Downtime) / Komitmen × 100%.",
              unit="percent"),
        place(statetimeline.Panel().mappings(UP_DOWN), 3, (0, 8, 24, 7),
              "Riwayat status layanan",
              query("A", "spbe_service_up", "{{service}}"),
              description="Tersedia atau tidak tersedia per layanan sepanjang waktu."),
        place(bargauge.Panel(), 4, (0, 15, 12, 8), "Sisa anggaran downtime bulan ini (jam)",
              query("A", "spbe_service_error_budget_remaining_seconds / 3600", "{{service}}"),
              description="Downtime yang masih boleh terjadi bulan ini sebelum target tidak "
                          "tercapai.", unit="h"),
        place(table.Panel(), 5, (12, 15, 12, 8),
              "Gangguan terbuka: prioritas dan sisa waktu penyelesaian",
              query("A", "spbe_service_open_outage_priority", "{{service}}", now=True),
              query("B", "(spbe_service_open_outage_resolve_by_timestamp_seconds - time()) "
                         "/ 3600", "{{service}}", now=True),
              description="Prioritas P1–P6 dari matriks Tabel 4.4; nilai negatif = target "
                          "terlewati."),
        place(timeseries.Panel(), 6, (0, 23, 24, 7), "Cakupan pemantauan bulan ini (%)",
              query("A", "100 * spbe:service_month_coverage:ratio", "{{service}}"),
              unit="percent"))


def on_service(metric: str) -> str:
    return f'{metric} * on(probe) group_left(service) spbe_service_component{{service="$service"}}'


def detail() -> Dashboard:
    service = (QueryVariable("service").label("Layanan").datasource(DS)
               .query("label_values(spbe_service_in_maintenance, service)")
               .refresh(VariableRefresh.ON_DASHBOARD_LOAD).sort(VariableSort.ALPHABETICAL_ASC))
    return board(
        "spbe-detail", "Detail Layanan",
        place(timeseries.Panel(), 1, (0, 0, 12, 8), "Tren ketersediaan bulan berjalan (%)",
              query("A", '100 * spbe:service_month_availability:ratio{service="$service"}',
                    "realisasi"),
              query("B", '100 * spbe_service_availability_target_ratio{service="$service"}',
                    "target"), unit="percent"),
        place(statetimeline.Panel().mappings(UP_DOWN), 2, (12, 0, 12, 8), "Linimasa gangguan",
              query("A", 'spbe_service_up{service="$service"}', "tersedia"),
              query("B", 'spbe_service_degraded{service="$service"}', "terdegradasi"),
              query("C", 'spbe_service_in_maintenance{service="$service"}', "pemeliharaan")),
        place(table.Panel(), 3, (0, 8, 12, 8), "Status komponen",
              query("A", on_service("spbe_component_up"), "{{probe}}", now=True),
              query("B", on_service("spbe_component_degraded"), "{{probe}}", now=True)),
        place(timeseries.Panel(), 4, (12, 8, 12, 8), "Latensi probe per fase (detik)",
              query("A", on_service("spbe_probe_duration_seconds"), "{{probe}} {{phase}}"),
              unit="s"),
        place(timeseries.Panel(), 5, (0, 16, 6, 8), "CPU server (%)",
              query("A", "100 * " + on_service("spbe_host_cpu_used_ratio"), "{{probe}}"),
              unit="percent"),
        place(timeseries.Panel(), 6, (6, 16, 6, 8), "RAM server (%)",
              query("A", "100 * " + on_service("spbe_host_memory_used_ratio"), "{{probe}}"),
              unit="percent"),
        place(timeseries.Panel(), 7, (12, 16, 6, 8), "Penyimpanan terpakai (%)",
              query("A", "100 * " + on_service("spbe_host_disk_used_ratio"),
                    "{{probe}} {{mount}}"), unit="percent"),
        place(timeseries.Panel(), 8, (18, 16, 6, 8), "Bandwidth jaringan (bit/s)",
              query("A", "8 * " + on_service("spbe_host_network_receive_bytes_per_second"),
                    "{{probe}} {{interface}} masuk"),
              query("B", "8 * " + on_service("spbe_host_network_transmit_bytes_per_second"),
                    "{{probe}} {{interface}} keluar"), unit="bps"),
        variable=service)


def pemulihan() -> Dashboard:
    return board(
        "spbe-drp", "Pemulihan Layanan (DRP)",
        place(stat.Panel(), 1, (0, 0, 8, 6), "Uji DRP terakhir",
              query("A", "spbe_drp_last_drill_timestamp_seconds * 1000", "{{service}}"),
              description="Waktu selesai uji DRP terakhir per layanan.", unit="dateTimeAsIso"),
        place(stat.Panel(), 2, (8, 0, 8, 6), "Hari sejak uji DRP terakhir",
              query("A", "(time() - spbe_drp_last_drill_timestamp_seconds) / 86400",
                    "{{service}}"),
              description="Perbup 49/2024: DRP diuji paling sedikit sekali setahun.",
              unit="d"),
        place(bargauge.Panel(), 3, (0, 6, 12, 8), "RTO: target vs capaian (jam)",
              query("A", "spbe_drp_rto_target_seconds / 3600", "target {{service}}"),
              query("B", "spbe_drp_rto_achieved_seconds / 3600", "capaian {{service}}"),
              description="Dihitung sejak deklarasi bencana.", unit="h"),
        place(bargauge.Panel(), 4, (12, 6, 12, 8), "RPO: target vs capaian (jam)",
              query("A", "spbe_drp_rpo_target_seconds / 3600", "target {{service}}"),
              query("B", "spbe_drp_rpo_achieved_seconds / 3600", "capaian {{service}}"),
              unit="h"),
        place(timeseries.Panel(), 5, (0, 14, 24, 8),
              "Run DRP berjalan: RTO sejak deklarasi vs target (jam)",
              query("A", "spbe_drp_rto_elapsed_seconds / 3600", "berjalan {{service}}"),
              query("B", "spbe_drp_rto_projected_seconds / 3600", "perkiraan {{service}}"),
              query("C", "spbe_drp_rto_target_seconds / 3600", "target {{service}}"),
              description="Perkiraan = waktu sejak deklarasi + perkiraan durasi langkah "
                          "pemulihan yang tersisa.", unit="h"))


def daemon() -> Dashboard:
    return board(
        "spbe-daemon", "Kesehatan spbe-monitor",
        place(timeseries.Panel(), 1, (0, 0, 12, 8), "Pemeriksaan per detik",
              query("A", "rate(spbe_checks_total[5m])", "dijalankan"),
              query("B", "rate(spbe_checks_skipped_total[5m])", "dilewati"),
              description="Dilewati: pemeriksaan sebelumnya belum selesai saat jadwal "
                          "berikutnya tiba.", unit="ops"),
        place(timeseries.Panel(), 2, (12, 0, 12, 8), "Keterlambatan mulai pemeriksaan (detik)",
              query("A", 'spbe_scheduling_lag_seconds{quantile="0.5"}', "p50"),
              query("B", 'spbe_scheduling_lag_seconds{quantile="0.99"}', "p99"), unit="s"),
        place(stat.Panel(), 3, (0, 8, 8, 6), "Catatan ledger tertunda",
              query("A", "spbe_ledger_pending_writes", "tertunda"),
              description="Ditahan di spool sampai basis data menerima lagi; lebih dari 0 "
                          "berarti ledger tidak dapat ditulis."),
        place(timeseries.Panel(), 4, (8, 8, 8, 6), "Penulisan ledger ditolak per menit",
              query("A", "60 * rate(spbe_ledger_write_failures_total[5m])", "ditolak")),
        place(stat.Panel(), 5, (16, 8, 8, 6), "Muat ulang konfigurasi terakhir berhasil",
              query("A", "spbe_config_last_reload_successful", "berhasil"),
              description="1 = konfigurasi terakhir dimuat; 0 = ditolak (daemon memakai yang "
                          "lama)."))


DASHBOARDS = {"ringkasan-ketersediaan": ringkasan, "detail-layanan": detail,
              "pemulihan-layanan": pemulihan, "kesehatan-daemon": daemon}


def rendered(name: str) -> str:
    """The dashboard's JSON; panels whose builder set no option get Grafana's defaults ({})
    rather than null."""
    data = json.loads(JSONEncoder(sort_keys=True).encode(DASHBOARDS[name]().build()))
    for panel in data["panels"]:
        if panel.get("options") is None:
            panel["options"] = {}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    for name in DASHBOARDS:
        (HERE / f"{name}.json").write_text(rendered(name))
        print(f"dashboards/{name}.json")


if __name__ == "__main__":
    main()
