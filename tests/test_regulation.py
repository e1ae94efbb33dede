import itertools
from datetime import timedelta

import pytest

from spbe_monitor.regulation.authority import maintenance_approval
from spbe_monitor.regulation.classification import Basis, Classification, Nature, Scope, classify
from spbe_monitor.regulation.eselon import Eselon, at_least
from spbe_monitor.regulation.priority import TARGETS, Impact, Priority, priority
from spbe_monitor.regulation.roles import Role

K, E, N = Classification.KRITIS, Classification.ESENSIAL, Classification.NORMAL
ADM, PUB = Nature.ADMINISTRASI_PEMERINTAHAN, Nature.PUBLIK


@pytest.mark.parametrize("nature, basis, scope, expected", [
    (ADM, Basis.UMUM, Scope.NASIONAL, K), (ADM, Basis.KHUSUS, Scope.NASIONAL, K),
    (PUB, Basis.UMUM, Scope.NASIONAL, K), (PUB, Basis.KHUSUS, Scope.NASIONAL, K),
    (ADM, Basis.KHUSUS, Scope.REGIONAL, E), (PUB, Basis.KHUSUS, Scope.REGIONAL, E),
    (ADM, Basis.KHUSUS, Scope.INSTANSI, N),
])
def test_tabel_4_1_rows(nature, basis, scope, expected):
    assert classify(nature, basis, scope) is expected


def test_combinations_outside_the_table_have_no_default():
    rows = {(n, b, s) for n, b, s in itertools.product(Nature, Basis, Scope)
            if classify(n, b, s) is not None}
    assert len(rows) == 7
    assert classify(PUB, Basis.UMUM, Scope.REGIONAL) is None
    assert classify(PUB, Basis.KHUSUS, Scope.INSTANSI) is None


@pytest.mark.parametrize("impact, nature, expected", [
    (Impact.MAYOR, PUB, "P1 P2 P3"), (Impact.MAYOR, ADM, "P2 P3 P4"),
    (Impact.MINOR, PUB, "P3 P4 P5"), (Impact.MINOR, ADM, "P4 P5 P6"),
])
def test_priority_matrix(impact, nature, expected):
    assert " ".join(priority(impact, nature, c) for c in (K, E, N)) == expected


def test_response_and_resolution_targets():
    assert TARGETS[Priority.P1] == (timedelta(minutes=15), timedelta(hours=12))
    assert TARGETS[Priority.P4] == (timedelta(minutes=90), timedelta(hours=48))
    assert TARGETS[Priority.P6] == (timedelta(minutes=150), timedelta(hours=72))


def test_eselon_order():
    assert at_least(Eselon.I, Eselon.II) and at_least(Eselon.II, Eselon.II)
    assert not at_least(Eselon.III, Eselon.II) and not at_least(None, Eselon.IV)


def test_maintenance_approval_rules():
    penyedia = [Role.PENYEDIA_LAYANAN]
    assert maintenance_approval(penyedia, Eselon.II, ["a"], ["a", "b"]) == (["a"], None)
    assert maintenance_approval(penyedia, Eselon.I, ["a", "b"], ["a", "b"])[0] == ["a", "b"]
    assert "eselon II" in str(maintenance_approval(penyedia, Eselon.III, ["a"], ["a"])[1])
    assert "Penyedia" in str(maintenance_approval([Role.PENGELOLA_TEKNIS], Eselon.I, ["a"],
                                                  ["a"])[1])
    assert "not a Penyedia Layanan of any" in str(
        maintenance_approval(penyedia, Eselon.II, ["c"], ["a"])[1])


@pytest.mark.parametrize("category, days, hours, lost, response, row", [
    ("infrastruktur", 4, 0, False, "Pemulihan Layanan", 1),
    ("infrastruktur", 3, 0, False, "Penanganan Gangguan", None),
    ("kerusakan_fisik", 5, 0, False, "Pemulihan Layanan", 2),
    ("pihak_ketiga", 0, 0, False, "Pemulihan Layanan", 3),
    ("akses", 0, 25, False, "Pemulihan Layanan", 4),
    ("akses", 0, 2, True, "Pemulihan Layanan", 4),
    ("akses", 0, 2, False, "Penanganan Gangguan", 5),
    ("jaringan_intra_pemerintahan", 9, 99, True, "Penanganan Gangguan", 6),
    ("splp", 0, 0, False, "Penanganan Gangguan", 7),
])
def test_tabel_4_3(category, days, hours, lost, response, row):
    from spbe_monitor.regulation.disaster import Category, assess

    verdict = assess(Category(category), days, hours, lost)
    assert (verdict.response.value, verdict.row) == (response, row)
