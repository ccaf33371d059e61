"""A contact file's bytes as text: UTF-8 when it is, otherwise the encoding charset-normalizer
finds (Outlook on Windows writes its code page, Windows-1252 in the West)."""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from worker.domain.addresses import InvalidInput

MAX_BYTES = 20 * 1024 * 1024


def read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInput(f"{path}: larger than {MAX_BYTES // 1024 // 1024} MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from None
    return decode(raw, path)


def decode(raw: bytes, path: Path) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Outlook's "Unicode" export and Excel's "Unicode Text" are UTF-16 with a BOM.
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InvalidInput(f"{path}: broken UTF-16 text") from None
    if b"\x00" in raw[:4096]:
        raise InvalidInput(f"{path}: not a text file")
    try:
        # utf-8-sig: Excel and Outlook put a byte-order mark first.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    matches = list(from_bytes(raw))
    if not matches:
        raise InvalidInput(f"{path}: not text in any encoding we recognise")
    # A contact list is short: several code pages often read it equally cleanly (no
    # "chaos"), and the detector's first pick among them is near chance ("Lefčvre" in
    # cp1250). Outlook and Excel write the system's ANSI code page, Windows-1252 in every
    # Western locale, so among the clean readings it wins when it is one of them.
    cleanest = min(m.chaos for m in matches)
    for m in matches:
        if m.chaos == cleanest and "cp1252" in m.could_be_from_charset:
            return raw.decode("cp1252")
    return str(matches[0])
