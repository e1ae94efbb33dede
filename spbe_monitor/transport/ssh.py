"""A pool of paramiko connections, reused between checks. Host keys are always verified
against a known_hosts file: an unknown or changed key is refused, never learnt."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # paramiko is loaded by the first connection, not to read a config
    import paramiko


class HostKeyUnknown(Exception):
    pass


class SSHPool:
    def __init__(self) -> None:
        self._clients: dict[tuple[str, int, str, str, str], paramiko.SSHClient] = {}
        self._lock = threading.Lock()

    def _connect(self, host: str, port: int, user: str, key_file: str, known_hosts: str,
                 timeout: float) -> paramiko.SSHClient:
        import paramiko

        client = paramiko.SSHClient()
        client.load_host_keys(str(Path(known_hosts).expanduser()))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(host, port=port, username=user, key_filename=key_file,
                           timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
                           look_for_keys=False, allow_agent=False)
        except paramiko.BadHostKeyException:
            client.close()
            raise
        except paramiko.SSHException as exc:
            client.close()
            if "not found in known_hosts" in str(exc):
                raise HostKeyUnknown(
                    f"host key of [{host}]:{port} is not in {known_hosts}; verify it and add "
                    "it (ssh-keyscan output checked against the server), it is never "
                    "accepted automatically") from exc
            raise
        return client

    def run(self, host: str, port: int, user: str, key_file: str, known_hosts: str,
            command: str, timeout: float,
            on_output: Callable[[bytes], None] | None = None) -> str:
        """Run `command` and return its stdout; reconnects once if a pooled link died.
        A link is reused only for the same known_hosts file it was verified against.
        `on_output` is handed each piece of output as it arrives (DRP steps keep it)."""
        import paramiko

        key = (host, port, user, key_file, known_hosts)
        for attempt in (1, 2):
            with self._lock:
                client = self._clients.get(key)
                transport = client.get_transport() if client else None
                if client is None or transport is None or not transport.is_active():
                    client = self._connect(host, port, user, key_file, known_hosts, timeout)
                    self._clients[key] = client
            try:
                _, stdout, _ = client.exec_command(command, timeout=timeout)
                if on_output is None:
                    return stdout.read().decode("utf-8", errors="replace")
                pieces = []
                while piece := stdout.channel.recv(4096):
                    pieces.append(piece)
                    on_output(piece)
                return b"".join(pieces).decode("utf-8", errors="replace")
            except (paramiko.SSHException, EOFError, OSError):
                with self._lock:
                    self._clients.pop(key, None)
                client.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
