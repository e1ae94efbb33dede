"""`spbe audit verify` and Jejak Audit in one place: the chain, the signed checkpoints, every
evidence row against its seal, and the witnesses kept outside the database. Above both
`audit` (the chain) and `evidence` (the seals), so neither needs the other's verifier."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine

from spbe_monitor.ledger import witness
from spbe_monitor.ledger.audit import AuditRepo
from spbe_monitor.ledger.checkpoints import checkpoint_problems
from spbe_monitor.ledger.evidence import unsealed_changes


@dataclass(frozen=True)
class Witnessed:
    path: Path
    checkpoints: int


@dataclass(frozen=True)
class Verdict:
    entries: int
    problems: list[str]
    keys: int
    witnesses: list[Witnessed]


def evidence_problems(engine: Engine, keys: list[Ed25519PublicKey]) -> list[str]:
    """Checkpoint signatures (when keys are given) and every evidence row against its seal."""
    with engine.connect() as conn:
        problems = checkpoint_problems(conn, keys) if keys else []
        return problems + unsealed_changes(conn)


def witness_problems(engine: Engine, files: list[Path]) -> tuple[list[Witnessed], list[str]]:
    seen, problems = [], []
    with engine.connect() as conn:
        for path in files:
            try:
                count, found = witness.problems(conn, path)
            except (OSError, ValueError) as exc:
                problems.append(f"witness {path} cannot be read: {exc}")
                continue
            seen.append(Witnessed(path, count))
            problems += found
    return seen, problems


def witness_files(key_path: Path) -> list[Path]:
    """The witnesses this machine keeps: the key folder's, once a checkpoint was signed."""
    path = witness.path_for(key_path)
    return [path] if path.exists() else []


def verify(repo: AuditRepo, keys: list[Ed25519PublicKey], witnesses: list[Path]) -> Verdict:
    count, problem = repo.verify_audit()
    seen, against_witnesses = witness_problems(repo.engine, witnesses)
    problems = ([problem] if problem else []) + evidence_problems(repo.engine, keys)
    return Verdict(count, problems + against_witnesses, len(keys), seen)
