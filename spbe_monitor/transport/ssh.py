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


GROUP = b"@@spbe-group:"  # the first line of every command: its remote process group


class Stop:
    """Ends a command running over SSH, from any thread: closing the channel alone leaves
    the remote processes running (without a terminal sshd sends no hangup), so the
    command's process group is killed first — sshd starts each command's shell as a
    session leader, so its `$$` names the group of everything the command started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channel: paramiko.Channel | None = None
        self._group: int | None = None
        self.requested = False

    def bind(self, channel: paramiko.Channel, group: int) -> None:
        """The command started as `group` (a stop asked before this acts now)."""
        with self._lock:
            self._channel, self._group = channel, group
            requested = self.requested
        if requested:
            self._kill()

    def __call__(self) -> None:
        with self._lock:
            self.requested = True
            bound = self._channel is not None
        if bound:
            self._kill()

    def _kill(self) -> None:
        import paramiko

        assert self._channel is not None
        transport = self._channel.get_transport()
        try:
            if transport is not None and transport.is_active():
                killer = transport.open_session(timeout=5)
                killer.settimeout(5)
                killer.exec_command(f"kill -TERM -- -{self._group} 2>/dev/null; sleep 1; "
                                    f"kill -KILL -- -{self._group} 2>/dev/null; true")
                killer.recv_exit_status()
                killer.close()
        except (paramiko.SSHException, OSError):
            pass  # the link is gone: sshd ends the session, the channel is closed below
        finally:
            self._channel.close()


def _read(channel: paramiko.Channel, on_output: Callable[[bytes], None] | None,
          stop: Stop) -> str:
    """The command's output after its process-group line (handed on to `stop`)."""
    head = b""
    while b"\n" not in head:
        piece = channel.recv(4096)
        if not piece:
            return ""
        head += piece
    line, _, rest = head.partition(b"\n")
    if line.startswith(GROUP) and line[len(GROUP):].isdigit():
        stop.bind(channel, int(line[len(GROUP):]))
    else:
        rest = head  # a shell that printed something first: nothing to bind, keep it all
    pieces = [rest] if rest else []
    if rest and on_output is not None:
        on_output(rest)
    while piece := channel.recv(4096):
        pieces.append(piece)
        if on_output is not None:
            on_output(piece)
    return b"".join(pieces).decode("utf-8", errors="replace")


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
            on_output: Callable[[bytes], None] | None = None,
            stop: Stop | None = None) -> str:
        """Run `command` and return its stdout; reconnects once if a pooled link died.
        A link is reused only for the same known_hosts file it was verified against.
        `on_output` is handed each piece of output as it arrives (DRP steps keep it);
        `stop`, called from another thread, ends the command and all it started."""
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
                _, stdout, _ = client.exec_command(f"echo {GROUP.decode()}$$; {command}",
                                                   timeout=timeout)
                return _read(stdout.channel, on_output, stop or Stop())
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
