"""Formulir F section A (Karakteristik Utilisasi Layanan), as the regulation lists it: for
every component of the service its availability and rows for CPU, RAM, Penyimpanan and
Jaringan/Bandwidth — measured (average, p95, peak, last month's p95 and the change) or
"tidak dipantau" — and a sentence of analysis built from those figures."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

from spbe_monitor.ledger.store import UtilisationHour
from spbe_monitor.reports.words import angka, waktu
from spbe_monitor.stats.percentile import p95

TIDAK_DIPANTAU = "tidak dipantau"
HIGH = 85.0  # p95 percent from which a resource is called near its capacity
# the regulation's four resources → the probe metrics that measure them (label, unit)
RESOURCES: dict[str, dict[str, tuple[str, str]]] = {
    "CPU": {"cpu_used_percent": ("CPU", "%")},
    "RAM": {"memory_used_percent": ("RAM", "%"), "swap_used_percent": ("Swap", "%")},
    "Penyimpanan": {"disk_used_percent": ("Penyimpanan", "%"),
                    "inode_used_percent": ("Inode", "%")},
    "Jaringan/Bandwidth": {
        "bandwidth_used_percent": ("Utilisasi bandwidth", "%"),
        "net_rx_bits_per_second": ("Bandwidth masuk", "bit/s"),
        "net_tx_bits_per_second": ("Bandwidth keluar", "bit/s"),
        "net_rx_bytes_per_second": ("Jaringan masuk", "B/s"),
        "net_tx_bytes_per_second": ("Jaringan keluar", "B/s")},
}
JENIS = {"ssh": "server", "snmp": "perangkat jaringan", "storage": "penyimpanan",
         "http": "aplikasi (HTTP)", "tcp": "layanan jaringan (TCP)", "tls": "sertifikat TLS",
         "dns": "DNS", "icmp": "jaringan (ICMP)", "database": "basis data"}


def _series(rows: list[UtilisationHour]) -> dict[tuple[str, str], list[UtilisationHour]]:
    out: dict[tuple[str, str], list[UtilisationHour]] = defaultdict(list)
    for r in rows:
        out[(r.probe_id, r.metric)].append(r)
    return out


def _figure(series: list[UtilisationHour]) -> dict[str, Any]:
    samples = sum(r.samples for r in series) or 1
    peak = max(series, key=lambda r: r.max)
    return {"rata_rata": round(sum(r.avg * r.samples for r in series) / samples, 3),
            "p95": round(p95([r.p95 for r in series]), 3), "puncak": round(peak.max, 3),
            "puncak_pada": peak.max_at, "jam_teramati": len(series)}


def section_a(components: list[str], kinds: dict[str, str],
              availability: dict[str, Fraction | None], now: list[UtilisationHour],
              before: list[UtilisationHour], zone: str,
              sites: dict[str, str] | None = None) -> dict[str, Any]:
    """Section A's data: one block per component, every resource row present; a component
    of another site (`sites`: its name) is measured over the time that site served."""
    sites = sites or {}
    this, last = _series(now), _series(before)
    blocks = []
    for pid in components:
        rows: list[dict[str, Any]] = []
        notes: list[str] = []
        for resource, metrics in RESOURCES.items():
            found = sorted((m, key) for (p, m) in this if p == pid
                           for key in [m.partition(":")[0]] if key in metrics)
            if not found:
                rows.append({"sumber_daya": resource, "nama": resource, "diukur": False,
                             "keterangan": TIDAK_DIPANTAU})
                continue
            for metric, key in found:
                label, unit = metrics[key]
                fig = _figure(this[(pid, metric)])
                prev = _figure(last[(pid, metric)])["p95"] if (pid, metric) in last else None
                change = None if prev is None else round(fig["p95"] - prev, 3)
                suffix = metric.partition(":")[2]
                rows.append({
                    "sumber_daya": resource, "metrik": metric, "diukur": True,
                    "nama": f"{label} {suffix}".strip(), "satuan": unit, **fig,
                    "puncak_pada": fig["puncak_pada"].isoformat(),
                    "puncak_pada_teks": waktu(fig["puncak_pada"], zone),
                    "p95_bulan_lalu": prev, "perubahan_p95": change})
                if unit == "%" and fig["p95"] >= HIGH:
                    notes.append(f"{label.lower()} {suffix} persentil ke-95 "
                                 f"{angka(fig['p95'], 1)}% mendekati kapasitas"
                                 .replace("  ", " "))
                if change is not None and unit == "%" and abs(change) >= 5:
                    word = "naik" if change > 0 else "turun"
                    notes.append(f"{label.lower()} {suffix} persentil ke-95 {word} "
                                 f"{angka(abs(change), 1)} poin dari bulan lalu"
                                 .replace("  ", " "))
        share = availability.get(pid)
        avail = None if share is None else round(float(share * 100), 4)
        during = (f" selama layanan dilayani dari situs {sites[pid]}" if pid in sites
                  else "")
        said = (f"Komponen {pid} tersedia {angka(avail, 2)}% dari waktu layanan yang "
                f"terpantau{during}" if avail is not None else
                f"Ketersediaan komponen {pid} tidak dapat dihitung: tidak terpantau{during}")
        unmeasured = [str(r["nama"]) for r in rows if not r["diukur"]]
        if notes:
            said += "; " + "; ".join(notes)
        if unmeasured:
            said += "; " + ", ".join(unmeasured) + " " + TIDAK_DIPANTAU
        blocks.append({"probe": pid, "jenis": JENIS.get(kinds.get(pid, ""),
                                                         kinds.get(pid, "")),
                       "situs": sites.get(pid),
                       "ketersediaan_persen": avail,
                       "ketersediaan_teks": "-" if avail is None else angka(avail, 2) + "%",
                       "baris": rows, "analisis": said + "."})
    return {"tersedia": bool(blocks), "komponen": blocks,
            "keterangan": "persentil ke-95 dihitung dari persentil ke-95 setiap jam; "
                          "perubahan dibandingkan dengan bulan sebelumnya" if blocks else
                          "data tidak tersedia: layanan ini tidak memiliki komponen yang "
                          "dipantau"}
