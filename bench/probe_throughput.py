"""Checks per second and per CPU-second of three probers against the same loopback nginx:

  (a) the whole spbe-monitor pipeline (`spbe run`: probe → state → ledger), a fresh
      connection for every check;
  (b) Prometheus blackbox_exporter (Debian), driven through its /probe endpoint at the same
      concurrency, the way Prometheus uses it;
  (c) a bare aiohttp loop doing only the requests (the practical limit for Python).

  (d) for HTTPS, a bare blocking loop of full TLS handshakes (the client's CPU floor);

for HTTP, HTTPS (a TLS handshake every check) and TCP; then the sustained case: N HTTP
targets every I seconds (10,000 every 30 s by default; the 50,000-target case is
`--sustained-targets 50000 --sustained-interval 60 --sustained-seconds 120`), with the
daemon's CPU, RSS, skipped checks and schedule lateness (p50/p99).

    .venv/bin/python -m bench.probe_throughput [--seconds 15] [--concurrency 64]
        [--sustained-targets 10000] [--sustained-interval 30] [--sustained-seconds 75]
        [--skip-sustained]

Needs nginx and prometheus-blackbox-exporter (installed here when run as root).
Every address is on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.certs import LoopbackCA
from tests.daemon import write_config
from tests.pg import free_port

TICK = os.sysconf("SC_CLK_TCK")
SATURATE = {"http": 10_000, "https": 2_000, "tcp": 10_000}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def need(binary: str, package: str) -> str:
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(
        f"/usr/sbin/{binary}").exists() else None)
    if path:
        return path
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
                       check=True, capture_output=True)
        found = shutil.which(binary) or f"/usr/sbin/{binary}"
        return found
    sys.exit(f"missing {binary}: apt-get install {package}")


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


@dataclass
class Figure:
    who: str
    proto: str
    checks: int
    seconds: float
    cpu: float

    def line(self) -> str:
        rate = self.checks / self.seconds
        per_cpu = self.checks / self.cpu if self.cpu else float("inf")
        return (f"  {self.who:<22} {self.proto:<5} {rate:9.0f} checks/s  "
                f"{per_cpu:9.0f} checks/CPU-s  (cpu {self.cpu:.1f} s in {self.seconds:.1f} s)")


class Nginx:
    def __init__(self, folder: Path, ca: LoopbackCA) -> None:
        ca.server_context(tag="nginx")
        self.http, self.https = free_port(), free_port()
        conf = folder / "nginx.conf"
        conf.write_text(textwrap.dedent(f"""\
            worker_processes 1;
            pid {folder}/nginx.pid;
            error_log {folder}/nginx.err;
            events {{ worker_connections 4096; }}
            http {{
              access_log off;
              client_body_temp_path {folder}/body;
              server {{
                listen 127.0.0.1:{self.http};
                listen 127.0.0.1:{self.https} ssl;
                ssl_certificate {folder}/nginx.pem;
                ssl_certificate_key {folder}/nginx.key;
                location / {{ return 200 "ok\\n"; }}
              }}
            }}
            """))
        self.proc = subprocess.Popen([need("nginx", "nginx-light"), "-c", str(conf), "-g",
                                      "daemon off;"], stderr=subprocess.DEVNULL)
        wait_port(self.http)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def target(proto: str, nginx: Nginx) -> str:
    return {"http": f"http://127.0.0.1:{nginx.http}/", "https": f"https://127.0.0.1:{nginx.https}/",
            "tcp": f"127.0.0.1:{nginx.http}"}[proto]


# --- (a) the pipeline -------------------------------------------------------------------

def pipeline_config(folder: Path, proto: str, nginx: Nginx, ca: LoopbackCA, n: int,
                    interval: str, concurrency: int) -> tuple[Path, int]:
    lines = ["probes:"]
    for i in range(n):
        if proto == "tcp":
            lines += [f"  - id: t{i}", "    kind: tcp", "    host: 127.0.0.1",
                      f"    port: {nginx.http}"]
        else:
            lines += [f"  - id: t{i}", "    kind: http", f"    url: {target(proto, nginx)}?i={i}"]
            if proto == "https":
                lines.append(f"    ca_file: {ca.ca_file}")
        lines.append(f"    interval: {interval}")
    port = free_port()
    config = write_config(folder, port, "\n".join(lines) + "\n", [f"t{i}" for i in range(n)])
    config.write_text(config.read_text() + f"max_concurrency: {concurrency}\n")
    # one service per target would be n services; ten targets each is closer to real life
    services = ["services:"]
    for s in range(0, n, 10):
        services += [f"  - id: svc{s}", f"    name: Layanan {s}", "    provider: Diskominfo",
                     "    technical_team: Aptika", "    nature: administrasi_pemerintahan",
                     "    application_basis: khusus", "    user_scope: instansi",
                     f"    components: {json.dumps([f't{i}' for i in range(s, min(n, s + 10))])}",
                     "    require: any"]
    (folder / "services.yaml").write_text("\n".join(services) + "\n")
    people = folder / "people.yaml"  # write_config's person answers for `target`: not here
    people.write_text(people.read_text().replace("services: [target]", "services: [svc0]"))
    return config, port


def status(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/status", timeout=30) as r:
        data: dict[str, Any] = json.load(r)
        return data


def run_pipeline(folder: Path, proto: str, nginx: Nginx, ca: LoopbackCA, n: int,
                 interval: str, concurrency: int, seconds: float, warmup: float
                 ) -> tuple[Figure, dict[str, Any], float]:
    config, port = pipeline_config(folder, proto, nginx, ca, n, interval, concurrency)
    with open(folder / "daemon.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "spbe_monitor", "--config", str(config),
                                 "run"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, 300)  # 50,000 probes take a while to load
        time.sleep(warmup)
        c0, s0, t0 = cpu_seconds(proc.pid), status(port)["scheduler"], time.monotonic()
        time.sleep(seconds)
        c1, s1, t1 = cpu_seconds(proc.pid), status(port)["scheduler"], time.monotonic()
        rss = rss_mib(proc.pid)
        # the status call itself costs the daemon a little CPU; it is counted, not hidden
        return Figure("spbe-monitor pipeline", proto, s1["checks"] - s0["checks"], t1 - t0,
                      c1 - c0), s1, rss
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


# --- (b) blackbox_exporter ----------------------------------------------------------------

def run_blackbox(folder: Path, proto: str, nginx: Nginx, ca: LoopbackCA, concurrency: int,
                 seconds: float) -> Figure:
    conf = folder / "blackbox.yml"
    conf.write_text(textwrap.dedent(f"""\
        modules:
          http_2xx:
            prober: http
            timeout: 5s
            http:
              tls_config: {{ca_file: {ca.ca_file}}}
          tcp_connect:
            prober: tcp
            timeout: 5s
        """))
    port = free_port()
    proc = subprocess.Popen([need("prometheus-blackbox-exporter",
                                  "prometheus-blackbox-exporter"),
                             f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        module = "tcp_connect" if proto == "tcp" else "http_2xx"
        url = f"http://127.0.0.1:{port}/probe?module={module}&target={target(proto, nginx)}"

        async def drive() -> tuple[int, float, float]:
            done = 0
            stop_at = time.monotonic() + seconds
            async with aiohttp.ClientSession() as session:  # keep-alive to the exporter
                async def worker() -> None:
                    nonlocal done
                    while time.monotonic() < stop_at:
                        async with session.get(url) as resp:
                            body = await resp.text()
                        if "probe_success 1" in body:
                            done += 1
                await asyncio.sleep(1)  # warm-up connection
                c0, t0 = cpu_seconds(proc.pid), time.monotonic()
                await asyncio.gather(*(worker() for _ in range(concurrency)))
                return done, time.monotonic() - t0, cpu_seconds(proc.pid) - c0

        checks, wall, cpu = asyncio.run(drive())
        return Figure("blackbox_exporter", proto, checks, wall, cpu)
    finally:
        proc.terminate()
        proc.wait()


# --- (c) bare aiohttp ---------------------------------------------------------------------

BARE = """
import asyncio, resource, ssl, sys, time, aiohttp
proto, url, ca = sys.argv[1:4]
conc, seconds = int(sys.argv[4]), float(sys.argv[5])
async def main():
    done = 0
    stop = time.monotonic() + seconds
    ctx = ssl.create_default_context(cafile=ca)
    if proto == "tcp":
        host, port = url.split(":")
        async def worker():
            nonlocal done
            while time.monotonic() < stop:
                r, w = await asyncio.open_connection(host, int(port))
                w.close()
                done += 1
        await asyncio.gather(*(worker() for _ in range(conc)))
    else:
        conn = aiohttp.TCPConnector(force_close=True, ssl=ctx, limit=conc)
        async with aiohttp.ClientSession(connector=conn) as s:
            async def worker():
                nonlocal done
                while time.monotonic() < stop:
                    async with s.get(url) as r:
                        await r.read()
                    done += 1
            await asyncio.gather(*(worker() for _ in range(conc)))
    return done
t0 = time.monotonic(); r0 = resource.getrusage(resource.RUSAGE_SELF)
n = asyncio.run(main())
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(n, time.monotonic() - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime))
"""


def run_bare(proto: str, nginx: Nginx, ca: LoopbackCA, concurrency: int, seconds: float
             ) -> Figure:
    out = subprocess.run([sys.executable, "-c", BARE, proto, target(proto, nginx),
                          str(ca.ca_file), str(concurrency), str(seconds)],
                         capture_output=True, text=True, check=True).stdout.split()
    return Figure("bare aiohttp loop", proto, int(out[0]), float(out[1]), float(out[2]))


# --- (d) bare TLS handshakes: the client-side CPU floor of an HTTPS check -----------------

HANDSHAKES = """
import resource, socket, ssl, sys, time
host, port, ca, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
ctx = ssl.create_default_context(cafile=ca)
request = f"GET / HTTP/1.1\\r\\nHost: {host}\\r\\nConnection: close\\r\\n\\r\\n".encode()
done, stop = 0, time.monotonic() + seconds
t0 = time.monotonic(); r0 = resource.getrusage(resource.RUSAGE_SELF)
while time.monotonic() < stop:
    with socket.create_connection((host, port)) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall(request)
            while tls.recv(65536):
                pass
    done += 1
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(done, time.monotonic() - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime))
"""


def run_handshakes(nginx: Nginx, ca: LoopbackCA, seconds: float) -> Figure:
    """One blocking loop of full TLS handshakes + a request, fresh connection each: what
    any Python client pays per HTTPS check on this machine (the issue's fourth line)."""
    out = subprocess.run([sys.executable, "-c", HANDSHAKES, "127.0.0.1", str(nginx.https),
                          str(ca.ca_file), str(seconds)],
                         capture_output=True, text=True, check=True).stdout.split()
    return Figure("bare TLS handshake loop", "https", int(out[0]), float(out[1]),
                  float(out[2]))


def ratio(runs: list[list[Figure]], a: int, b: int) -> float:
    """Line a over line b in checks per CPU-second, within each round; their median."""
    return statistics.median(r[a].checks / r[a].cpu / (r[b].checks / r[b].cpu) for r in runs)


def one_round(folder: Path, proto: str, nginx: Nginx, ca: LoopbackCA,
              args: argparse.Namespace) -> list[Figure]:
    """The pipeline, blackbox_exporter, the bare loop (and for HTTPS the handshake loop)."""
    rounds = len(list(folder.glob(f"pipe-{proto}-*")))
    pipe, _, _ = run_pipeline(folder / f"pipe-{proto}-{rounds}", proto, nginx, ca,
                              args.saturate_targets or SATURATE[proto], "1s",
                              args.concurrency, args.seconds, warmup=5)
    figures = [pipe, run_blackbox(folder, proto, nginx, ca, args.concurrency, args.seconds),
               run_bare(proto, nginx, ca, args.concurrency, args.seconds)]
    if proto == "https":
        figures.append(run_handshakes(nginx, ca, args.seconds))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--saturate-targets", type=int, default=None,
                        help="probes every second (default: about twice what the pipeline "
                             "checks, so it runs at its limit: http and tcp 10,000, https "
                             "2,000)")
    parser.add_argument("--protocols", default="http,https,tcp")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds per protocol; the ratios use the medians")
    parser.add_argument("--sustained-targets", type=int, default=10_000)
    parser.add_argument("--sustained-interval", type=int, default=30, help="seconds")
    parser.add_argument("--sustained-seconds", type=float, default=75)
    parser.add_argument("--skip-sustained", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true",
                        help="only the sustained case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spbe-bench-") as tmp:
        folder = Path(tmp)
        ca = LoopbackCA(folder)
        nginx = Nginx(folder, ca)
        try:
            print(f"concurrency {args.concurrency}, {args.seconds:.0f} s per run, "
                  f"{os.cpu_count()} cores, target nginx on 127.0.0.1")
            ratios = []
            for proto in () if args.skip_throughput else args.protocols.split(","):
                runs = [one_round(folder, proto, nginx, ca, args)
                        for _ in range(args.repeat)]
                for figures in runs:
                    for fig in figures:
                        print(fig.line())
                floor = (f", {ratio(runs, 0, 3):.0%} of the handshake loop"
                         if proto == "https" else "")
                ratios.append(f"{proto}: pipeline {ratio(runs, 0, 1):.2f}x blackbox, bare "
                              f"{ratio(runs, 2, 1):.2f}x blackbox{floor} (checks per CPU-second"
                              + (f"; medians of {args.repeat} rounds' ratios)"
                                 if args.repeat > 1 else ")"))
            print("\n".join(ratios))
            print("goals: pipeline >= 2.5x blackbox for HTTP, >= 1.2x and >= 90% of the "
                  "handshake loop for HTTPS, >= 3x for TCP")
            if not args.skip_sustained:
                n, every = args.sustained_targets, args.sustained_interval
                fig, sched, rss = run_pipeline(folder / "sustained", "http", nginx, ca, n,
                                               f"{every}s", 512, args.sustained_seconds,
                                               warmup=every + 5)
                print(f"sustained: {n} HTTP targets every {every} s for {fig.seconds:.0f} s: "
                      f"{fig.checks / fig.seconds:.0f} checks/s (expected {n / every:.0f}), "
                      f"daemon CPU {100 * fig.cpu / fig.seconds:.1f}% of one core, "
                      f"RSS {rss:.0f} MiB, start lateness p50 "
                      f"{sched['lateness_p50_seconds'] * 1000:.1f} ms p99 "
                      f"{sched['lateness_p99_seconds'] * 1000:.1f} ms, "
                      f"skipped {sched['skipped']}")
                print("goals: 10,000 every 30 s: CPU < 50% of one core, RSS < 500 MiB; 50,000 "
                      "every 60 s: < 1 core, < 1 GiB; both p99 lateness < 1 s, 0 skipped")
        finally:
            nginx.stop()


if __name__ == "__main__":
    main()
