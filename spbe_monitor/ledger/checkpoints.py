"""Signed checkpoints of the audit chain's head. A chain alone cannot show that its last
entries were deleted, or that someone with the database rewrote it and recomputed every
hash with the public function; a head signed with an Ed25519 key the database never holds
can. The daemon signs hourly and on every report filing; `spbe audit verify` checks every
signature and that each signed head is still in the chain."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from sqlalchemy import Connection, Engine, func, insert, select

from spbe_monitor.errors import SpbeError
from spbe_monitor.ledger import witness
from spbe_monitor.ledger.tables import audit_checkpoints, audit_log


def message(entry_id: int, entry_hash: str, signed_at: datetime) -> bytes:
    return f"spbe-audit-checkpoint\n{entry_id}\n{entry_hash}\n{signed_at.isoformat()}".encode()


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey
    witness_file: Path | None = None  # every checkpoint also appended here (ledger/witness.py)

    @classmethod
    def load_or_create(cls, path: Path) -> Signer:
        """The key at `path`, created (mode 0600, with `<path>.pub` beside it) if missing."""
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            public_path(path).write_bytes(key.public_key().public_bytes(
                Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
        try:
            loaded = load_pem_private_key(path.read_bytes(), password=None)
        except ValueError as exc:
            raise SpbeError(f"{path}: not an Ed25519 private key ({exc})") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise SpbeError(f"{path}: not an Ed25519 private key")
        return cls(loaded, witness.path_for(path))

    def checkpoint(self, engine: Engine, now: datetime, only_if_moved: bool = False
                   ) -> int | None:
        """Sign the chain's head as it is now, and witness it; None when the log is empty
        (or, with `only_if_moved`, when the last checkpoint already signed and witnessed
        this head)."""
        with engine.begin() as conn:
            head = conn.execute(select(audit_log.c.id, audit_log.c.hash).order_by(
                audit_log.c.id.desc()).limit(1)).first()
            if head is None:
                return None
            ledger = witness.identity(conn)
            newest = witness.newest(self.witness_file, ledger) if self.witness_file else None
            witnessed = newest.entry_id if newest else 0
            if only_if_moved and (self.witness_file is None or witnessed >= head.id):
                last = conn.execute(select(audit_checkpoints.c.entry_id,
                                           audit_checkpoints.c.entry_hash).order_by(
                    audit_checkpoints.c.id.desc()).limit(1)).first()
                if last is not None and tuple(last) == (head.id, head.hash):
                    return None
            signature = self.key.sign(message(head.id, head.hash, now)).hex()
            new = conn.execute(insert(audit_checkpoints).values(
                entry_id=head.id, entry_hash=head.hash, signed_at=now,
                signature=signature)).inserted_primary_key
            assert new is not None
            line = witness.Line(int(new[0]), int(head.id), str(head.hash), now, signature,
                                witness.entries_since(conn, witnessed, int(head.id)), ledger)
        if self.witness_file is not None:
            witness.append(self.witness_file, line)
        return int(head.id)


def rotate(key_path: Path, engine: Engine, now: datetime) -> Path:
    """A new audit key; the old one signs a last checkpoint, its public half stays in the
    folder (verify trusts every `*.pub` there) and its private half is deleted. The new key
    signs at once, so the hand-over is itself witnessed. Returns the retired public key."""
    old = Signer.load_or_create(key_path)
    old.checkpoint(engine, now)
    retired = key_path.with_name(f"{key_path.stem}-retired-{now:%Y%m%dT%H%M%SZ}.pub")
    public_path(key_path).rename(retired)
    key_path.unlink()
    Signer.load_or_create(key_path).checkpoint(engine, now)
    return retired


def sign_if_keyed(key_path: Path, engine: Engine, now: datetime) -> None:
    """After a report filing: anchor the head, when this machine holds the key."""
    if key_path.exists():
        Signer.load_or_create(key_path).checkpoint(engine, now)


def public_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".pub")


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SpbeError(f"cannot read the audit public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SpbeError(f"{path}: not an Ed25519 public key")
    return key


def trusted_keys(key_path: Path) -> list[Path]:
    """Every public key kept in the signing key's folder: the current one and those of
    rotated keys (kept as `*.pub` when the private half is retired)."""
    return sorted(key_path.parent.glob("*.pub")) if key_path.parent.is_dir() else []


def _signed(keys: list[Ed25519PublicKey], signature: bytes, data: bytes) -> bool:
    for key in keys:
        try:
            key.verify(signature, data)
            return True
        except InvalidSignature:
            continue
    return False


def checkpoint_problems(conn: Connection, keys: list[Ed25519PublicKey]) -> list[str]:
    """Each checkpoint validly signed (by any trusted key) and its head still in the chain,
    and nothing cut from the chain's end since the last one."""
    problems = []
    last = conn.execute(select(func.max(audit_log.c.id))).scalar() or 0
    rows = select(audit_checkpoints, audit_log.c.hash.label("chain_hash")).outerjoin(
        audit_log, audit_log.c.id == audit_checkpoints.c.entry_id).order_by(
        audit_checkpoints.c.id)
    for cp in conn.execute(rows):  # streamed: memory stays flat on a long log
        try:
            signature = bytes.fromhex(cp.signature)
        except ValueError:
            signature = b""
        if not _signed(keys, signature, message(cp.entry_id, cp.entry_hash, cp.signed_at)):
            problems.append(f"checkpoint {cp.id} (entry {cp.entry_id}) has a signature that "
                            "no trusted audit key made")
            continue
        if cp.entry_id > last:
            problems.append(f"entries {last + 1}–{cp.entry_id} were deleted from the end of "
                            f"the log (signed in checkpoint {cp.id} at "
                            f"{cp.signed_at.isoformat(timespec='seconds')})")
        elif cp.chain_hash != cp.entry_hash:
            problems.append(f"the chain up to entry {cp.entry_id} was rewritten since "
                            f"checkpoint {cp.id} signed it")
    return problems
