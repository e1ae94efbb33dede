"""Credentials: login, passwd, logout, whoami, API tokens and second factors."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import click

from spbe_monitor.cli.base import Context, cli, pass_ctx, print_json, print_table
from spbe_monitor.credentials import os_user
from spbe_monitor.errors import BadInput, Refused
from spbe_monitor.ledger.records import as_dict
from spbe_monitor.localtime import local_time, zone_label


def _secret(prompt: str) -> str:
    """A hidden prompt on a terminal; a line of standard input otherwise (scripts)."""
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, err=True))
    return sys.stdin.readline().rstrip("\n")


@cli.command()
@click.option("--nip", default=None,
              help="log in with your password instead of a token (see `spbe passwd`)")
@pass_ctx
def login(ctx: Context, nip: str | None) -> None:
    """Keep a personal token for this OS user (0600): the CLI then acts as you.

    Without --nip the token is read from standard input (hidden when typed; an
    administrator mints one with `spbe token issue NIP`). With --nip your password is
    asked and a new token is minted for you."""
    from spbe_monitor.api.tokens import new_token
    from spbe_monitor.identity import password_login, person_of, store_token

    now = ctx.clock.now()
    if nip is not None:
        person = password_login(ctx.config, ctx.store, nip, _secret("password"), now,
                                f"os:{os_user()}")
        value, hashed = new_token()
        ctx.store.add_token(person.nip, hashed, person.nip, now,
                            now + ctx.config.settings.token_lifetime)
    else:
        value = _secret("token").strip()
        found = person_of(value, ctx.config, ctx.store, now) if value else None
        if found is None:
            ctx.store.record_refusal(now, f"os:{os_user()}", "login", "authentication",
                                     "unknown, expired or revoked token")
            raise Refused("unknown, expired or revoked token: nothing stored")
        person = found
    path = store_token(value)
    click.echo(f"logged in as {person.name} ({person.nip}); token kept in {path}")


@cli.command()
@pass_ctx
def passwd(ctx: Context) -> None:
    """Set your own password (asked twice), so you can `spbe login --nip` yourself."""
    from spbe_monitor.identity import check_password, hash_password

    nip = ctx.acting("password.set").actor
    first, second = _secret("new password"), _secret("again")
    if first != second:
        raise BadInput("the two passwords differ: nothing changed")
    check_password(first, ctx.config.person(nip))
    ctx.store.set_password(nip, hash_password(first), ctx.clock.now())
    click.echo(f"password set for {nip}")


@cli.command()
def logout() -> None:
    """Forget the stored token."""
    from spbe_monitor.credentials import token_file

    token_file().unlink(missing_ok=True)
    click.echo("logged out")


@cli.command()
@pass_ctx
def whoami(ctx: Context) -> None:
    """The person the CLI acts as (from SPBE_TOKEN or `spbe login`)."""
    person = ctx.config.person(ctx.acting("whoami").actor)
    click.echo(f"{person.name} ({person.nip}), {person.position}"
               + (f", eselon {person.eselon}" if person.eselon else ""))


@cli.group()
def token() -> None:
    """API bearer tokens, each tied to a person in people.yaml."""


@token.command("issue")
@click.argument("nip")
@click.option("--days", type=click.IntRange(1, 3650), default=None,
              help="lifetime in days (default: token_lifetime in spbe.yaml, 90 days)")
@pass_ctx
def token_issue(ctx: Context, nip: str, days: int | None) -> None:
    """Print a new token for NIP, once; only its SHA-256 is kept (administrators only)."""
    from spbe_monitor.api.tokens import new_token

    actor = ctx.authority.administrator(os_user(), "token.issue", f"person:{nip[:64]}")
    person = ctx.config.person(nip)
    value, hashed = new_token()
    now = ctx.clock.now()
    expires = now + (timedelta(days=days) if days else ctx.config.settings.token_lifetime)
    ctx.store.add_token(person.nip, hashed, actor, now, expires)
    click.echo(value)
    zone = ctx.config.settings.timezone
    click.echo(f"token for {person.name} ({person.nip}), valid until "
               f"{local_time(expires, zone, seconds=False)} {zone_label(zone)}; it is shown "
               "only now", err=True)


@token.command("revoke")
@click.argument("nip")
@pass_ctx
def token_revoke(ctx: Context, nip: str) -> None:
    """Revoke every token of NIP (administrators only)."""
    actor = ctx.authority.administrator(os_user(), "token.revoke", f"person:{nip[:64]}")
    person = ctx.config.person(nip)
    count = ctx.store.revoke_tokens(person.nip, actor, ctx.clock.now())
    click.echo(f"{count} token(s) of {person.nip} revoked, and their Konsol sessions ended")


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def token_list(ctx: Context, as_json: bool) -> None:
    """Every token: whose, hash prefix, created, expires, last used, revoked (never the
    token itself)."""
    rows = ctx.store.tokens()
    if as_json:
        print_json([as_dict(t) for t in rows])
        return
    zone = ctx.config.settings.timezone

    def day(moment: datetime | None) -> str:
        return local_time(moment, zone)[:10] if moment else "-"

    print_table(f"Tokens (dates in {zone_label(zone)}; created: --json)",
                ["ID", "NIP", "SHA-256", "Expires", "Last used", "Revoked"],
                [[t.id, t.nip, t.sha256_prefix[:12], day(t.expires_at), day(t.last_used_at),
                  day(t.revoked_at)] for t in rows])


@cli.group()
def session() -> None:
    """Konsol sessions: who is logged in, and ending a person's sessions."""


@session.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def session_list(ctx: Context, as_json: bool) -> None:
    """Live Konsol sessions: whose, hash prefix, since, last used (administrators only)."""
    from spbe_monitor.konsol.sessions import IDLE

    ctx.authority.administrator(os_user(), "session.list", "konsol")
    rows = ctx.store.konsol_sessions(ctx.clock.now() - IDLE)
    if as_json:
        print_json([as_dict(r) for r in rows])
        return
    zone = ctx.config.settings.timezone
    print_table(f"Konsol sessions (times in {zone_label(zone)})",
                ["NIP", "SHA-256", "Since", "Last used"],
                [[r.nip, r.sha256_prefix, local_time(r.created_at, zone),
                  local_time(r.last_seen_at, zone)] for r in rows])


@session.command("revoke")
@click.argument("nip")
@pass_ctx
def session_revoke(ctx: Context, nip: str) -> None:
    """End every Konsol session of NIP at once (administrators only)."""
    actor = ctx.authority.administrator(os_user(), "session.revoke", f"person:{nip[:64]}")
    person = ctx.config.person(nip)
    ended = ctx.store.end_konsol_sessions(person.nip, actor, ctx.clock.now())
    click.echo(f"{ended} Konsol session(s) of {person.nip} ended")


@cli.group()
def totp() -> None:
    """Your second factor (RFC 6238) for eselon II acts: declaring a disaster, approving
    late maintenance, approving a DRP document."""


@totp.command("enrol")
@click.option("--totp", "current", metavar="CODE", default=None,
              help="your current code, to replace an authenticator already confirmed")
@pass_ctx
def totp_enrol(ctx: Context, current: str | None) -> None:
    """Print a new secret as an otpauth:// URI and a QR code for your authenticator app;
    it counts once confirmed with `spbe totp confirm CODE`."""
    from spbe_monitor.secondfactor import new_secret, otpauth_uri, qr_text
    from spbe_monitor.secretbox import SecretBox

    who = ctx.acting("totp.enrol", current)
    enrolled = ctx.store.totp_secret(who.actor)
    if enrolled is not None and enrolled[1]:
        ctx.authority.second_factor(who, "totp.enrol", f"person:{who.actor}")
    secret = new_secret()
    box = SecretBox.load_or_create(ctx.config.secrets_key_path)
    ctx.store.enrol_totp(who.actor, box.seal(secret), ctx.clock.now())
    assert who.person is not None
    uri = otpauth_uri(secret, f"{who.person.name} ({who.actor})")
    click.echo(qr_text(uri), nl=False)
    click.echo(uri)
    click.echo("scan the code (or add the URI) in your authenticator app, then run "
               "`spbe totp confirm CODE` with the code it shows", err=True)


@totp.command("confirm")
@click.argument("code")
@pass_ctx
def totp_confirm(ctx: Context, code: str) -> None:
    """Activate the authenticator just enrolled by showing one of its codes."""
    from spbe_monitor.secondfactor import matched_step
    from spbe_monitor.secretbox import SecretBox

    who = ctx.acting("totp.confirm")
    enrolled = ctx.store.totp_secret(who.actor)
    if enrolled is None:
        raise BadInput("nothing to confirm: run `spbe totp enrol` first")
    if enrolled[1]:
        raise BadInput("your authenticator is already confirmed")
    secret = SecretBox.load_or_create(ctx.config.secrets_key_path).open(enrolled[0])
    step = matched_step(secret, code, ctx.clock.now())
    if step is None or not ctx.store.use_totp_step(who.actor, step):
        raise ctx.authority.refuse(who.actor, "totp.confirm", f"person:{who.actor}",
                                   "the code does not match the enrolled secret")
    ctx.store.confirm_totp(who.actor, ctx.clock.now())
    click.echo(f"authenticator confirmed for {who.actor}")


@totp.command("reset")
@click.argument("nip")
@pass_ctx
def totp_reset(ctx: Context, nip: str) -> None:
    """Remove a person's authenticator (lost phone) so they can enrol again
    (administrators only)."""
    actor = ctx.authority.administrator(os_user(), "totp.reset", f"person:{nip[:64]}")
    person = ctx.config.person(nip)
    removed = ctx.store.reset_totp(person.nip, actor, ctx.clock.now())
    click.echo(f"authenticator of {person.nip} " + ("removed" if removed else
                                                   "was not enrolled"))
