"""The bounce figures of docs/reliability.md ("Bounces"), measured on tests/data/bounces:
real mail servers' reports from flufl.bounce's source distribution, and the few kinds it
has none of, written for the tests. Run: .venv/bin/python bench/bounces.py"""

from __future__ import annotations

import email
import json
import sys
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from integrations.protocol import MessageSeen
from integrations.reports import may_be_report
from worker.domain.auto_replies import classify
from worker.domain.bounces import read

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "bounces"


def _rows(folder: str) -> list[tuple[Path, dict[str, Any]]]:
    expected = json.loads((DATA / folder / "expected.json").read_text())
    return [(DATA / folder / name, row) for name, row in sorted(expected.items())]


def _seen(raw: bytes) -> MessageSeen:
    parsed = email.message_from_bytes(raw)
    headers = {k.lower(): str(v) for k, v in parsed.items()}
    senders = [a.lower() for _, a in getaddresses([headers.get("from", "")]) if a]
    return MessageSeen(
        provider_message_id="bench",
        message_id=headers.get("message-id", ""),
        thread_id=None,
        from_address=senders[0] if senders else "",
        to=[],
        cc=[],
        subject=headers.get("subject", ""),
        date=datetime(2026, 1, 1, tzinfo=UTC),
        sent_by_user=False,
        headers=headers,
        raw=raw,
    )


def main() -> int:
    rows = _rows("flufl") + _rows("written")
    tally: dict[str, list[int]] = {}

    def count(name: str, ok: bool) -> None:
        tally.setdefault(name, [0, 0])
        tally[name][0] += ok
        tally[name][1] += 1

    for path, row in rows:
        raw = path.read_bytes()
        report = read(raw)
        seen = _seen(raw)
        kind = classify(seen, report)
        real = path.parent.name == "flufl"
        wanted = {a.lower() for a in row["addresses"]}
        if row["kind"] == "bounce" and wanted:
            group = "real failure reports" if real else "written failure reports"
            count(f"{group}: recognised, right addresses", report.recipients == wanted)
        if row["kind"] == "bounce" and not wanted:
            count("real failure reports naming no usable address: not a reply", kind != "reply")
        if row["kind"] in ("delay", "success"):
            group = "real delay notices" if real else "written success/relay notices"
            count(f"{group}: never a bounce, never a reply", kind == "notice")
        if row["kind"] == "complaint":
            count(
                "written ARF complaints: read as complaints (never a reply or bounce)",
                kind == "complaint",
            )
        if row["kind"] == "none":
            count("real non-reports (a person, an auto-reply): never a bounce", kind != "bounce")
        if row["kind"] != "none":
            count(
                "reports the adapters read whole (header rule)",
                may_be_report(seen.from_address, seen.subject, seen.headers),
            )
            if real:
                count("real reports giving a quoted Message-ID", bool(report.message_ids))
    width = max(map(len, tally))
    for name, (ok, total) in tally.items():
        print(f"{name:<{width}}  {ok:>3}/{total:<3} {100 * ok / total:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
