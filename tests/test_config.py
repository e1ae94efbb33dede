from datetime import timedelta
from pathlib import Path

import pytest

from spbe_monitor.config.loader import load_config
from spbe_monitor.errors import ConfigError
from spbe_monitor.regulation.classification import Classification
from tests.cli_helpers import spbe
from tests.conftest import EXAMPLE_CONFIG

MINIMAL = """\
services:
  - id: layanan-kantor
    name: Layanan Kantor
    provider: Diskominfo
    technical_team: Bidang Aptika
    nature: administrasi_pemerintahan
    application_basis: khusus
    user_scope: regional
    availability_target: 99
    operating_hours:
      mon-fri: "07:30-16:00"
    timezone: Asia/Makassar
    components: []
"""


def write(config_dir: Path, services: str | None = None, people: str | None = None,
          settings: str | None = None) -> Path:
    if services is not None:
        (config_dir / "services.yaml").write_text(services)
    if people is not None:
        (config_dir / "people.yaml").write_text(people)
    if settings is not None:
        (config_dir / "spbe.yaml").write_text(settings)
    return config_dir / "spbe.yaml"


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    return exc.value.errors


def test_bundled_example_loads_with_the_regulations_rows():
    config = load_config(EXAMPLE_CONFIG / "spbe.yaml")
    izin = config.services["perizinan-online"]
    assert (izin.klass, izin.availability_target, izin.rto, izin.rpo) == (
        Classification.KRITIS, 95, timedelta(days=1), timedelta(days=1))
    surat = config.services["persuratan-online"]
    assert (surat.klass, surat.availability_target) == (Classification.ESENSIAL, 80)
    assert {s.klass for s in config.services.values()} == set(Classification)
    assert {s.zone for s in config.services.values()} == {
        "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    assert config.warnings == ()
    assert config.database_url == f"sqlite:///{(EXAMPLE_CONFIG.parent / 'var/spbe.db')}"


def test_minimal_service_form_stays_valid(config_dir):
    config = load_config(write(config_dir, services=MINIMAL, people="people: []\n"))
    svc = config.services["layanan-kantor"]
    assert svc.klass is Classification.ESENSIAL
    assert svc.zone == "Asia/Makassar" and svc.require == "all"


def test_every_error_at_once_with_file_line_and_field(config_dir):
    services = MINIMAL.replace("nature: administrasi_pemerintahan", "nature: pemerintahan") \
        .replace("timezone: Asia/Makassar", "timezone: Asia/Makasar\n    colour: blue") + """\
  - id: izin
    name: Izin
    provider: DPMPPTSP
    technical_team: Aptika
    nature: publik
    application_basis: umum
    user_scope: nasional
    rto: 4 jam
    operating_hours: {mon-fri: "7-16"}
"""
    path = write(config_dir, services=services, people="people: []\n")
    errs = errors_of(path)
    f = config_dir / "services.yaml"
    expected = [
        f"{f}:6: services.0.nature: Input should be 'publik' or 'administrasi_pemerintahan'",
        f"{f}:12: services.0.timezone: unknown time zone 'Asia/Makasar'",
        f"{f}:13: services.0.colour: unknown key 'colour'",
        f"{f}:22: services.1.rto: '4 jam' is not a duration",
        f"{f}:23: services.1.operating_hours.mon-fri: hours '7-16' are not HH:MM-HH:MM",
    ]
    for want in expected:
        assert any(e.startswith(want) for e in errs), (want, errs)
    assert len(errs) == len(expected)


def test_regulation_obligations_are_errors(config_dir):
    kritis = MINIMAL.replace("user_scope: regional", "user_scope: nasional")
    errs = errors_of(write(config_dir, services=kritis, people="people: []\n"))
    f = config_dir / "services.yaml"
    assert sorted(errs) == sorted([
        f"{f}:2: services.0.rto: required for a Kritis service",
        f"{f}:2: services.0.rpo: required for a Kritis service",
        f"{f}:2: services.0.drp_playbook: required for a Kritis service",
    ])
    esensial = MINIMAL.replace("    availability_target: 99\n", "")
    errs = errors_of(write(config_dir, services=esensial))
    assert errs == [f"{f}:2: services.0.availability_target: required for a Esensial service"]


def test_no_table_row_needs_explicit_classification_and_differing_one_warns(config_dir):
    odd = MINIMAL.replace("nature: administrasi_pemerintahan", "nature: publik") \
        .replace("application_basis: khusus", "application_basis: umum")
    errs = errors_of(write(config_dir, services=odd, people="people: []\n"))
    assert errs == [f"{config_dir / 'services.yaml'}:2: services.0.classification: required: "
                    "Tabel 4.1 has no row for publik/umum/regional; set it explicitly"]
    config = load_config(write(config_dir, services=odd.replace(
        "    components: []", "    components: []\n    classification: normal")))
    assert config.services["layanan-kantor"].klass is Classification.NORMAL
    differing = MINIMAL + "    classification: kritis\n    rto: 1d\n    rpo: 4h\n" \
        "    drp_playbook: perizinan-online\n"
    config = load_config(write(config_dir, services=differing))
    assert len(config.warnings) == 1 and "differs from Tabel 4.1 (Esensial)" in config.warnings[0]


def test_people_errors_and_references(config_dir):
    people = """\
people:
  - nip: "12345"
    name: A
    position: Staf
    eselon: V
    roles: [admin]
    services: [nope]
"""
    errs = errors_of(write(config_dir, people=people))
    f = config_dir / "people.yaml"
    assert f"{f}:2: people.0.nip: NIP must be 18 digits, got '12345'" in errs
    assert any(e.startswith(f"{f}:5: people.0.eselon: Input should be 'I', 'II'") for e in errs)
    assert any(e.startswith(f"{f}:6: people.0.roles.0: Input should be") for e in errs)


def test_duplicate_keys_and_broken_yaml_are_reported(config_dir):
    errs = errors_of(write(config_dir, settings="timezone: Asia/Jakarta\ntimezone: UTC\n"))
    assert errs == [f"{config_dir / 'spbe.yaml'}:2: duplicate key 'timezone' (first on line 1)"]
    errs = errors_of(write(config_dir, settings="server: {port: [\n"))
    assert errs[0].startswith(f"{config_dir / 'spbe.yaml'}:2: invalid YAML")


def test_database_url_env_override_and_relative_sqlite(config_dir, monkeypatch):
    config = load_config(config_dir / "spbe.yaml")
    assert config.database_url == f"sqlite:///{config_dir.parent / 'var' / 'spbe.db'}"
    monkeypatch.setenv("SPBE_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/x")
    assert load_config(config_dir / "spbe.yaml").database_url.startswith("postgresql")


def test_check_config_exits_2_and_prints_each_error(config_dir, capsys):
    write(config_dir, services=MINIMAL.replace("availability_target: 99",
                                               "availability_target: 120"))
    result = spbe(capsys, "--config", str(config_dir / "spbe.yaml"), "check-config")
    assert result.code == 2
    assert f"{config_dir / 'services.yaml'}:9: services.0.availability_target: 120 is over " \
        "100 %" in result.err
    ok = spbe(capsys, "--config", str(EXAMPLE_CONFIG / "spbe.yaml"), "check-config")
    assert ok.code == 0 and "3 services" in ok.out


def test_config_that_would_be_wrong_is_refused_at_the_values_line(config_dir: Path):
    services = MINIMAL.replace("availability_target: 99", "availability_target: 0.95").replace(
        '      mon-fri: "07:30-16:00"', '      mon-fri: "16:00-07:30"\n      sat: "25:00-26:00"')
    (config_dir.parent / "probes" / "extra.yaml").write_text("""\
probes:
  - id: slow-check
    kind: tcp
    host: 127.0.0.1
    port: 1
    interval: 10s
    timeout: 30s
""")
    errors = errors_of(write(config_dir, services=services.replace(
        "components: []", "components: [slow-check]"), people="people: []\n"))
    path = config_dir / "services.yaml"
    assert f"{path}:9: services.0.availability_target: 0.95 looks like a fraction; " \
           "write 95 for 95 %" in errors
    assert any(e.startswith(f"{path}:11: services.0.operating_hours.mon-fri: hours "
                            "'16:00-07:30' end before they start: for a shift across midnight "
                            'write "16:00-24:00" and "00:00-07:30"') for e in errors), errors
    probes = config_dir.parent / "probes" / "extra.yaml"
    assert f"{probes}:7: probes.0.timeout: timeout 30s must be shorter than the interval 10s" \
        in errors
    # the invalid probe is reported once, not again as an unknown id in the service
    assert not any("unknown probe id" in e for e in errors), errors


def test_out_of_range_hours_say_so_at_their_line(config_dir: Path):
    services = MINIMAL.replace('      mon-fri: "07:30-16:00"',
                               '      mon-fri: "07:30-16:00"\n      sat: "25:00-26:00"')
    [error] = errors_of(write(config_dir, services=services, people="people: []\n"))
    assert error == (f"{config_dir / 'services.yaml'}:12: services.0.operating_hours.sat: "
                     "hours '25:00-26:00' are out of range: use 00:00 to 24:00")


def test_an_overnight_shift_needs_to_say_so(config_dir: Path):
    services = MINIMAL.replace('      mon-fri: "07:30-16:00"',
                               '      mon-fri: "16:00-07:30"\n      overnight: true')
    config = load_config(write(config_dir, services=services, people="people: []\n"))
    assert config.services["layanan-kantor"].operating_hours[0] == ((960, 1890),)


def test_check_config_connects_to_the_ledger_unless_offline(
        config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    cfg = str(config_dir / "spbe.yaml")
    monkeypatch.setenv("SPBE_DATABASE_URL",
                       "postgresql+psycopg://spbe:rahasia@127.0.0.1:1/ledger")
    down = spbe(capsys, "--config", cfg, "check-config")
    assert down.code == 1
    assert "database unreachable: " in down.err and "rahasia" not in down.err + down.out
    offline = spbe(capsys, "--config", cfg, "check-config", "--offline")
    assert offline.code == 0 and "ok: 3 services" in offline.out


def test_check_config_names_what_a_probe_needs_on_this_host_at_its_line(
        config_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path):
    """Issue 31, item 2: a missing key, CA file, secret's variable or watched path passed
    check-config and became a counted outage with the file not named. Now each is an
    error at its file:line (the check itself makes it unobserved time: test_runner)."""
    monkeypatch.delenv("SIMPEG_DB_PASSWORD", raising=False)
    known = tmp_path / "known_hosts"
    known.write_text("")
    probes = config_dir.parent / "probes" / "extra.yaml"
    probes.write_text(f"""\
probes:
  - id: app-server
    kind: ssh
    host: 127.0.0.1
    user: monitor
    key_file: {tmp_path}/id_ed25519
    known_hosts: {known}
  - id: portal-https
    kind: http
    url: https://127.0.0.1/
    ca_file: {tmp_path}/ca.pem
  - id: simpeg-db
    kind: database
    url: postgresql+psycopg://monitor@127.0.0.1/simpeg
    password_env: SIMPEG_DB_PASSWORD
  - id: arsip
    kind: storage
    path: {tmp_path}/arsip
""")
    cfg = str(config_dir / "spbe.yaml")
    r = spbe(capsys, "--config", cfg, "check-config")
    assert r.code == 2, r.out
    assert f"{probes}:6: probe app-server: key_file: {tmp_path}/id_ed25519 does not exist" \
        in r.err
    assert f"{probes}:11: probe portal-https: ca_file: {tmp_path}/ca.pem does not exist" \
        in r.err
    assert (f"{probes}:15: probe simpeg-db: password_env: environment variable "
            "SIMPEG_DB_PASSWORD is not set") in r.err
    assert f"{probes}:18: probe arsip: path: {tmp_path}/arsip does not exist on this host" \
        in r.err
    assert "known_hosts" not in r.err  # it is there
    offline = spbe(capsys, "--config", cfg, "check-config", "--offline")
    assert offline.code == 0
    assert ("skipped (--offline): the ledger, and what the probes need on this host (1 "
            "environment variable, 3 files, 2 local paths)") in offline.out
    # put right, the same check passes and says what it looked at
    (tmp_path / "id_ed25519").write_text("kunci")
    (tmp_path / "ca.pem").write_text("ca")
    (tmp_path / "arsip").mkdir()
    monkeypatch.setenv("SIMPEG_DB_PASSWORD", "rahasia")
    fixed = spbe(capsys, "--config", cfg, "check-config")
    assert fixed.code == 0, fixed.err
    assert "ok: what the probes need on this host is there (1 environment variable, " \
           "3 files, 2 local paths)" in fixed.out


def test_a_service_nobody_answers_for_is_refused_by_check_config(
        config_dir: Path, capsys: pytest.CaptureFixture[str]):
    """Issue 31, item 4: such a service's alerts went nowhere and nobody could register its
    maintenance. check-config refuses it at the service's line (and warns of a service
    with nothing to watch); the daemon still starts (watching is still worth it)."""
    cfg = write(config_dir, services=MINIMAL, people="people: []\n")
    r = spbe(capsys, "--config", str(cfg), "check-config", "--offline")
    assert r.code == 2
    assert (f"{config_dir / 'services.yaml'}:2: services.0.id: nobody in people.yaml answers "
            "for layanan-kantor") in r.err
    assert "warning: service layanan-kantor has no component to watch" in r.err
    assert r.err.count("nobody in people.yaml answers") == 1
    assert load_config(cfg).unanswered  # the daemon starts, and says so (`spbe run`)


def test_a_misspelt_key_is_named_with_the_one_meant_and_values_take_any_case(
        config_dir: Path):
    """Issue 31, item 8: `availabilty_target` was "Extra inputs are not permitted" and
    `Publik` was refused. Now the known key it resembles is named (in the very model it was
    written in: a service, a probe) and the regulation's words are taken however
    capitalised; a value that is no word of the table lists the allowed ones."""
    services = MINIMAL.replace("availability_target: 99", "availabilty_target: 99").replace(
        "nature: administrasi_pemerintahan", "nature: Administrasi_Pemerintahan").replace(
        "user_scope: regional", "user_scope: daerah")
    (config_dir.parent / "probes" / "extra.yaml").write_text(
        "probes:\n  - {id: web, kind: http, url: 'http://127.0.0.1/', expect_status: [200]}\n")
    errors = errors_of(write(config_dir, services=services))
    path = config_dir / "services.yaml"
    assert (f"{path}:9: services.0.availabilty_target: unknown key 'availabilty_target' "
            "(did you mean 'availability_target'?)") in errors
    assert (f"{path}:8: services.0.user_scope: Input should be 'nasional', 'regional' or "
            "'instansi'") in errors
    assert not any("nature" in e for e in errors), errors
    probes = config_dir.parent / "probes" / "extra.yaml"
    assert (f"{probes}:2: probes.0.expect_status: unknown key 'expect_status' (did you mean "
            "'expected_status'?)") in errors
