"""`spbe agent`: probing from another site for a central daemon (docs/scale-out.md)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from spbe_monitor.cli.base import cli
from spbe_monitor.errors import BadInput, SpbeError


@cli.group("agent")
def agent_group() -> None:
    """Probe from another network, ISP or data centre for a central daemon."""


@agent_group.command("token")
def token() -> None:
    """A new agent token, and the line for the central daemon's spbe.yaml."""
    from spbe_monitor.agent.protocol import new_token

    value, digest = new_token()
    click.echo(f"token (give it to the agent, e.g. in its --token-file; shown once):\n  "
               f"{value}\nfor spbe.yaml of the central daemon:\n  locations:\n    "
               f"<location>: {{token_sha256: {digest}}}")


@agent_group.command("run")
@click.option("--url", required=True, help="the central daemon, e.g. https://mon.kab.go.id:9740")
@click.option("--token-file", type=click.Path(path_type=Path),
              help="file holding this agent's token (else env SPBE_AGENT_TOKEN)")
@click.option("--folder", type=click.Path(path_type=Path), default=Path("var/agent"),
              show_default=True, help="its spool (results kept while the daemon is away) "
              "and the last probes received")
@click.option("--ca-file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="CA of the central daemon's certificate (default: the system's)")
def run(url: str, token_file: Path | None, folder: Path, ca_file: Path | None) -> None:
    """Run the agent (SIGTERM stops it; what it could not push stays in its spool)."""
    import asyncio
    import logging
    import signal

    from spbe_monitor.agent.run import Agent, Unreachable

    if not url.startswith(("http://", "https://")):
        raise BadInput(f"--url must be an http:// or https:// URL, not {url!r}")
    secret = os.environ.get("SPBE_AGENT_TOKEN", "")
    if token_file is not None:
        try:
            secret = token_file.read_text().strip()
        except OSError as exc:
            raise BadInput(f"--token-file {token_file}: {exc.strerror}") from None
    if not secret:
        raise BadInput("no token: --token-file or SPBE_AGENT_TOKEN (spbe agent token makes "
                       "one)")
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    agent = Agent(url, secret, folder, ca_file)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await agent.run(stop)

    try:
        asyncio.run(main())
    except Unreachable as exc:
        raise SpbeError(str(exc)) from None
