"""kill -9 at 20 random moments of a scripted up/down sequence: the counted downtime stays
within a second per crash of what was really down while a daemon was watching, and an
incident a crash interrupts keeps its id and deadline."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spbe_monitor.availability.intervals import Interval, intersect, merge, total
from tests.daemon import Daemon, Target, figures_between, http_probe, ledger, write_config
from tests.pg import free_port

CRASHES = 20


class Script:
    """The target goes down and up on a seeded schedule; the true down spans are kept."""

    def __init__(self, target: Target, rng: random.Random) -> None:
        self.target, self.rng = target, rng
        self.down: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.rng.uniform(2, 6)):
            went = self.target.stop().timestamp()
            self._stop.wait(self.rng.uniform(2, 6))
            self.down.append((went, self.target.start().timestamp()))
        if self.target.server is None:
            self.down.append((went, self.target.start().timestamp()))

    def start(self) -> None:
        self.target.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def epoch_spans(spans: list[tuple[float, float]]) -> list[Interval]:
    return merge([(int(a), int(b)) for a, b in spans])


@pytest.mark.slow
def test_kill_9_at_random_moments_keeps_downtime_and_incidents(
        tmp_path: Path, target: Target, database_url: str) -> None:
    rng = random.Random(49_2024)
    port = free_port()
    config = write_config(tmp_path, port, http_probe(target.port, "250ms", "200ms", 1),
                          ["target-http"], database_url)
    script = Script(target, rng)
    script.start()
    watched: list[tuple[float, float]] = []
    for _ in range(CRASHES):
        daemon = Daemon(config, port)
        time.sleep(rng.uniform(1.5, 4.0))
        daemon.kill()
        watched.append((0.0, time.time()))  # start filled in from the ledger below
        time.sleep(rng.uniform(0.3, 1.5))
    daemon = Daemon(config, port)
    time.sleep(3)
    assert daemon.stop() == 0
    script.stop()
    store = ledger(config)
    sessions = store.sessions()
    assert len(sessions) == CRASHES + 1
    watched = [(s["started_at"].timestamp(), w[1]) for s, w in zip(sessions, watched,
                                                                    strict=False)]
    watched.append((sessions[-1]["started_at"].timestamp(),
                    sessions[-1]["stopped_at"].timestamp()))
    truth = total(intersect(epoch_spans(script.down), epoch_spans(watched)))
    outages = store.outages(["target"])
    counted = figures_between(config, datetime.fromtimestamp(watched[0][0], UTC),
                              datetime.fromtimestamp(watched[-1][1], UTC))["downtime_seconds"]
    pieces = sum(len(o.spans(0)) for o in outages)
    print(f"crash loop: counted {counted} s, truth {truth} s, {pieces} pieces, "
          f"{len(outages)} outages, {sum(1 for o in outages if o.gaps)} continued")
    # a crash loses at most a second of observation; whole seconds cost up to one per piece
    assert abs(counted - truth) <= CRASHES + pieces, (counted, truth, pieces)
    assert truth > 20  # the script really had the target down while watched
    # an incident that a crash interrupted goes on as the same outage with its deadline
    continued = [o for o in outages if o.gaps]
    assert continued, "no incident spanned a crash: the seed no longer exercises it"
    for o in continued:
        assert o.respond_by is not None and o.respond_by > o.start_at
    for down in epoch_spans(script.down):
        over = [o for o in outages if any(a < down[1] and down[0] < b for a, b in o.spans(0))]
        assert len(over) <= 1, f"true down span {down} split into {len(over)} outages"
