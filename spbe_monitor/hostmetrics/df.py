"""Parsers for `df -P -k` and `df -P -i` (POSIX format: one line per filesystem, even with
long device names, which is why -P is used on every platform)."""

from __future__ import annotations

from typing import NamedTuple

PSEUDO = {"tmpfs", "devtmpfs", "overlay", "squashfs", "udev", "none", "shm"}


class Usage(NamedTuple):
    used_percent: float
    total: int  # 1K blocks or inodes


def parse_df(text: str) -> dict[str, Usage]:
    """Use per mount point; pseudo filesystems and empty inode tables are skipped."""
    out: dict[str, Usage] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 6 or fields[0] in PSEUDO:
            continue
        total, used, avail = fields[1], fields[2], fields[3]
        if not (total.isdigit() and used.isdigit() and avail.isdigit()) or total == "0":
            continue
        mount = " ".join(fields[5:])
        usable = int(used) + int(avail)
        out[mount] = Usage(100.0 * int(used) / usable if usable else 0.0, int(total))
    return out
