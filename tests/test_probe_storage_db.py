"""storage against a real directory; database against a real PostgreSQL."""

import logging
import os
import uuid

import psycopg
import pytest

from spbe_monitor.monitor.runner import run_once
from spbe_monitor.probers import database, storage
from spbe_monitor.probers.base import ErrorKind
from spbe_monitor.probers.context import ProbeContext


async def test_storage_capacity_inodes_and_write_test(tmp_path):
    r = await run_once(storage.Config(id="s", path=str(tmp_path)), ProbeContext())
    assert r.ok and 0 < r.values["disk_used_percent"] < 100 and "write_read" in r.phases
    assert "inode_used_percent" in r.values
    assert list(tmp_path.iterdir()) == []  # the test file was deleted
    used = r.values["disk_used_percent"]
    r = await run_once(storage.Config(id="s", path=str(tmp_path), usage_warning=used / 2),
                       ProbeContext())
    assert r.ok and r.degraded is not None
    r = await run_once(storage.Config(id="s", path=str(tmp_path), usage_warning=used / 3,
                                      usage_critical=used / 2), ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.THRESHOLD)


async def test_storage_failures_are_named(tmp_path):
    r = await run_once(storage.Config(id="s", path=str(tmp_path), mount=str(tmp_path)),
                       ProbeContext())
    assert (r.ok, r.error_kind) == (False, ErrorKind.NOT_MOUNTED)
    r = await run_once(storage.Config(id="s", path=str(tmp_path / "missing")), ProbeContext())
    assert not r.ok and "cannot stat" in r.message
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() != 0:  # root writes anyway; a read-only bind mount would be the peer
        r = await run_once(storage.Config(id="s", path=str(ro)), ProbeContext())
        assert not r.ok and "write test failed" in r.message


def test_relative_storage_path_is_relative_to_the_inventory_file(tmp_path):
    cfg = storage.Config.model_validate({"id": "s", "kind": "storage", "path": "../var"},
                                        context={"base": str(tmp_path / "probes")})
    assert cfg.path == str(tmp_path / "var")


@pytest.fixture
def pg_user(postgres_server: str):
    """A password-protected role on the test server."""
    name, password = f"mon_{uuid.uuid4().hex[:8]}", f"s3cret-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    host = postgres_server.split("@", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+psycopg://{name}@{host}/postgres", password


@pytest.mark.postgres
async def test_database_query_expected_value_and_secrets(pg_user, monkeypatch, caplog):
    url, password = pg_user
    monkeypatch.setenv("SPBE_TEST_DB_PASSWORD", password)
    ctx = ProbeContext()
    caplog.set_level(logging.DEBUG)
    r = await run_once(database.Config(id="d", url=url, password_env="SPBE_TEST_DB_PASSWORD",
                                       query="SELECT 40 + 2", expected="42"), ctx)
    assert r.ok and set(r.phases) == {"connect", "query"}
    r = await run_once(database.Config(id="d", url=url, password_env="SPBE_TEST_DB_PASSWORD",
                                       query="SELECT 1", expected="2"), ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.BAD_ANSWER)
    monkeypatch.setenv("SPBE_TEST_DB_PASSWORD", password + "-wrong")
    r = await run_once(database.Config(id="d", url=url, password_env="SPBE_TEST_DB_PASSWORD"),
                       ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.AUTH_FAILED)
    assert password not in r.message and password not in caplog.text
    port = url.rsplit(":", 1)[1].split("/")[0]
    refused = url.replace(f":{port}/", ":1/")
    r = await run_once(database.Config(id="d", url=refused, password_env="SPBE_TEST_DB_PASSWORD"),
                       ctx)
    assert (r.ok, r.error_kind) == (False, ErrorKind.REFUSED)
    assert password not in r.message


def test_database_password_never_in_url():
    with pytest.raises(ValueError, match="environment variable"):
        database.Config(id="d", url="postgresql://u:hunter2@db/x")
