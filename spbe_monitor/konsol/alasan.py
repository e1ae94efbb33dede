"""The room's reasons in Bahasa Indonesia for the Konsol's pages. `authority` and the DRP
rules word their refusals in English for the CLI, the API and the audit log (which keep the
exact text); an official reading a page gets the same reason in the regulation's terms.
A reason not listed here (bad input from the shared Desk) is shown as the system wrote it."""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, str], ...] = (
    (r"end must be after start", "waktu selesai harus setelah waktu mulai"),
    (r"downtime in the future cannot be recorded.*",
     "gangguan yang belum terjadi tidak dapat dicatat (waktu selesai setelah sekarang)"),
    (r"rrule: (.+)", r"aturan pengulangan tidak sah: \1"),
    (r"start: .+ is not an ISO 8601 time.*",
     "waktu mulai tidak sah; tulis seperti 2026-11-03T08:00"),
    (r"end: .+ is not an ISO 8601 time.*",
     "waktu selesai tidak sah; tulis seperti 2026-11-03T08:00"),
    (r"cause must not be empty", "penyebab tidak boleh kosong"),
    (r"reason must not be empty", "alasan tidak boleh kosong"),
    (r"not responsible for this service",
     "Anda tidak bertanggung jawab atas layanan ini"),
    (r"only a Penyedia Layanan may approve maintenance",
     "hanya Penyedia Layanan yang dapat menyetujui pemeliharaan"),
    (r"approval needs eselon II or higher \((.+)\)",
     r"persetujuan memerlukan pejabat eselon II atau lebih tinggi (Anda: \1)"),
    (r"not a Penyedia Layanan of any service in this window \((.+)\)",
     r"Anda bukan Penyedia Layanan dari layanan pada jadwal ini (\1)"),
    (r"maintenance is registered by .+",
     "pemeliharaan didaftarkan oleh Pengelola Teknis, Koordinator Layanan atau Penyedia "
     "Layanan"),
    (r"downtime is entered by .+",
     "gangguan dicatat oleh Pengelola Teknis, Pengelola Layanan, Koordinator Layanan atau "
     "Penyedia Layanan"),
    (r"this eselon II act needs a TOTP code and no authenticator is enrolled.*",
     "tindakan eselon II ini memerlukan kode autentikator, tetapi Anda belum mendaftarkan "
     "autentikator (spbe totp enrol)"),
    (r"this eselon II act needs a TOTP code.*",
     "tindakan eselon II ini memerlukan kode autentikator"),
    (r"the TOTP code is wrong or expired", "kode autentikator salah atau kedaluwarsa"),
    (r"too many wrong TOTP codes: try again after (.+)",
     r"terlalu banyak kode autentikator yang salah: coba lagi setelah pukul \1"),
    (r"this TOTP code was used already.*",
     "kode autentikator ini sudah dipakai; tunggu kode berikutnya"),
    (r"a DRP document is approved by a Penyedia Layanan, eselon II or higher",
     "dokumen DRP disetujui oleh Penyedia Layanan eselon II atau lebih tinggi"),
    (r"(?:.+: )?not a (Penyedia Layanan|Koordinator Pemulihan) of a service this playbook "
     r"recovers.*", r"Anda bukan \1 dari layanan yang dipulihkan playbook ini"),
    (r"(?:.+: )?not responsible for a service this playbook recovers",
     "Anda tidak bertanggung jawab atas layanan yang dipulihkan playbook ini"),
    (r"(.+) is for a Koordinator Pemulihan", r"\1: hanya untuk Koordinator Pemulihan"),
    (r"(.+) needs eselon (\S+) or higher \((.+)\)",
     r"\1 memerlukan pejabat eselon \2 atau lebih tinggi (Anda: \3)"),
    (r"(.+) needs one of the roles (.+)", r"\1 memerlukan salah satu peran: \2"),
    (r"the disaster is declared by a Penyedia Layanan",
     "bencana dinyatakan oleh Penyedia Layanan"),
    (r"the person who started the run may not declare the disaster.*",
     "orang yang memulai pelaksanaan tidak boleh menyatakan bencana"),
    (r"manual steps are confirmed by the recovery team.*",
     "langkah manual dikonfirmasi oleh tim pemulihan (Pengelola Teknis, Koordinator "
     "Pemulihan, Koordinator Layanan atau Penyedia Layanan)"),
    (r"(.+) is a (\w+) step: the runner performs it",
     r"\1 adalah langkah \2: dijalankan oleh sistem, bukan dikonfirmasi"),
    (r"(.+) is (\w+) and not open for approval yet",
     r"langkah \1 berstatus \2 dan belum terbuka untuk ditandatangani"),
    (r"the analysis \(Tabel 4\.3\) found (.+): the disaster criteria are not met",
     r"analisis (Tabel 4.3) menghasilkan \1: kriteria bencana tidak terpenuhi"),
    (r"declaration and approval steps are signed, never skipped or marked done",
     "langkah pernyataan dan persetujuan harus ditandatangani, tidak dapat dilewati atau "
     "ditandai selesai"),
    (r"run (\d+) of (.+) is still active.*",
     r"pelaksanaan \1 dari \2 masih berjalan: satu pelaksanaan per playbook"),
    (r"playbook (.+) \(sha256 .+\) has no approval by a Penyedia Layanan.*",
     r"playbook \1 belum disetujui Penyedia Layanan untuk isi yang persis ini"),
    (r"(.+) is signed as Mengetahui by a Penyedia Layanan, eselon II or higher",
     r"\1 ditandatangani Mengetahui oleh Penyedia Layanan eselon II atau lebih tinggi"),
    (r"the serving site is switched by a Koordinator Pemulihan",
     "situs yang melayani hanya dapat dialihkan oleh Koordinator Pemulihan"),
    (r"the break-glass path is for DRP runs only.*",
     "tindakan ini memerlukan kredensial pribadi"),
    # after the specific ones
    (r"not responsible for (.+)", r"Anda tidak bertanggung jawab atas layanan \1"),
)
_ACTS = (("starting a run", "memulai pelaksanaan"), ("aborting a run", "menghentikan pelaksanaan"),
         ("resuming a run", "melanjutkan pelaksanaan"), ("deciding", "memutuskan langkah"),
         ("writing the evaluation", "menulis evaluasi"))
_PREFIXES = (("approval refused: ", "persetujuan ditolak: "), ("break-glass: ", "jalur darurat: "))
_COMPILED = tuple((re.compile(pattern), words) for pattern, words in _RULES)


def indonesian(reason: object) -> str:
    """The reason in Bahasa Indonesia; an Indonesian one (the Konsol's own) passes as is."""
    text = str(reason)
    for prefix, kata in _PREFIXES:
        if text.startswith(prefix):
            return kata + indonesian(text.removeprefix(prefix))
    for act, kata in _ACTS:
        if text.startswith(act):
            text = kata + text.removeprefix(act)
    for pattern, words in _COMPILED:
        found = pattern.fullmatch(text)
        if found:
            return found.expand(words).replace("Anda: no eselon", "Anda: tanpa eselon")
    return text
