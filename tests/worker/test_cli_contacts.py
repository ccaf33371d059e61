"""Contacts that can be fixed, found, imported again and closed, as the user runs the
commands: in-process, with the world's settings and a running sandbox mailbox."""

# The fixtures imported below are parameters of the tests, hence "redefined".

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# The world (an app and a running sandbox) and the in-process command line, as the
# drafts commands are tested.
from tests.worker.test_cli_drafts import Cli
from tests.worker.world import World

EXPORTS = Path(__file__).parent.parent / "data" / "exports"
ADA = "ada@analytical.example"
#: Both Outlook exports (UTF-8 and Windows-1252) hold these people.
OUTLOOK = {
    "Zoë Müller": ["zoe.mueller@fabrikam.example"],
    "François Lefèvre": ["francois@contoso.example", "f.lefevre@mail.example"],
    "Søren Kierkegaard": [],
}


def _json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--json").stdout)


def test_show_and_edit_complete_a_contact(world: World, cli: Cli) -> None:
    cli.ok("contacts", "add", "Raj Patel", "--company", "Tailspin")
    [raj] = _json(cli, "pipeline")
    assert raj["next_step"].startswith("add an e-mail address")

    edited = _json(cli, "contacts", "edit", "raj", "--email", "raj@tailspin.example",
                   "--role", "Staff Engineer")  # fmt: skip
    assert edited["changed"] == ["emails", "role"]
    shown = _json(cli, "contacts", "show", "raj@tailspin.example")
    assert (shown["name"], shown["emails"], shown["role_line"]) == (
        "Raj Patel",
        ["raj@tailspin.example"],
        "Staff Engineer, Tailspin",
    )
    text = cli.ok("contacts", "show", "Raj").stdout
    assert "address: raj@tailspin.example" in text
    [updated] = world.events("contact.updated")
    assert updated["emails"] == ["raj@tailspin.example"]
    # The same values again record nothing.
    assert "nothing changed" in cli.ok("contacts", "edit", "raj", "--role", "Staff Engineer").stdout
    assert len(world.events("contact.updated")) == 1
    # An address that belongs to someone else is refused.
    cli.ok("contacts", "add", "Ada Lovelace", "-e", ADA)
    assert "already belongs to Ada Lovelace" in cli.refused(
        "contacts", "edit", "raj", "--email", ADA
    )


def test_a_contacts_zone_is_set_checked_and_forgotten(world: World, cli: Cli) -> None:
    cli.ok("contacts", "add", "Ada Lovelace", "-e", ADA)
    # A zone zoneinfo does not know is refused by name, with the rest of the edit: one
    # line, exit 2, nothing written.
    line = cli.refused("contacts", "edit", "ada", "--role", "Engineer", "--zone", "Europe/Pari")
    assert line == (
        "error: contacts edit: --zone: 'Europe/Pari' is not a time zone "
        "(use a name like Europe/Paris)"
    )
    assert "'Berlin' is not a time zone" in cli.refused(
        "contacts", "edit", "ada", "--zone", "Berlin"
    )
    assert world.events("contact.updated") == []

    edited = _json(cli, "contacts", "edit", "ada", "--zone", " Europe/Paris ")
    assert edited["changed"] == ["time_zone"]
    [updated] = world.events("contact.updated")
    assert updated["time_zone"] == "Europe/Paris"
    assert "time zone: Europe/Paris" in cli.ok("contacts", "show", "ada").stdout
    assert "nothing changed" in cli.ok("contacts", "edit", "ada", "--zone", "Europe/Paris").stdout
    # "" forgets it: the show no longer names one.
    assert _json(cli, "contacts", "edit", "ada", "--zone", "")["changed"] == ["time_zone"]
    assert _json(cli, "contacts", "show", "ada")["time_zone"] is None


def test_a_contact_added_with_a_zone_has_it_at_once(world: World, cli: Cli) -> None:
    line = cli.refused("contacts", "add", "Ada Lovelace", "-e", ADA, "--zone", "Paris")
    assert line == (
        "error: contacts add: --zone: 'Paris' is not a time zone (use a name like Europe/Paris)"
    )
    assert world.events("contact.added") == []
    cli.ok("contacts", "add", "Ada Lovelace", "-e", ADA, "--zone", "Europe/Paris")
    assert _json(cli, "contacts", "show", "ada")["time_zone"] == "Europe/Paris"


def test_merge_keeps_one_person_with_both_histories(world: World, cli: Cli) -> None:
    world.add("Ada Lovelace", ADA)  # chosen to write to: an outreach draft is prepared
    world.perform("draft_outreach")
    cli.ok("contacts", "add", "Ada King", "-e", "ada.king@mail.example", "--company", "Analytical")
    [draft] = world.drafts()

    merged = _json(cli, "contacts", "merge", "Ada King", ADA)

    assert merged["name"] == "Ada King"
    assert merged["emails"] == ["ada.king@mail.example", ADA]
    assert merged["stage"] == "drafted"  # the conversation that went further
    assert [r["name"] for r in _json(cli, "pipeline")] == ["Ada King"]
    shown = _json(cli, "contacts", "show", "ada king")
    assert [d["draft_id"] for d in shown["drafts_waiting"]] == [draft.draft_id]
    assert world.drafts()[0].contact_id == merged["contact_id"]
    history = _json(cli, "history", "Ada King")
    assert [h["type"] for h in history] == [
        "contact.added",
        "outreach.requested",
        "outreach.drafted",
        "contact.added",
        "contact.merged",
    ]
    # The merged-away contact's address and id find the one kept.
    assert _json(cli, "contacts", "show", ADA)["contact_id"] == merged["contact_id"]
    # A rebuilt view says the same.
    cli.ok("projections", "rebuild")
    assert [r["name"] for r in _json(cli, "pipeline")] == ["Ada King"]


def test_add_refuses_a_known_name_unless_forced(world: World, cli: Cli) -> None:
    cli.ok("contacts", "add", "José Álvarez", "-e", "jose@tailspin.example")
    message = cli.refused("contacts", "add", "jose alvarez")
    assert "a contact named jose alvarez already exists: José Álvarez" in message
    assert "--force" in message
    cli.ok("contacts", "add", "jose alvarez", "--force")
    assert len(_json(cli, "contacts", "list")) == 2


def test_finding_by_the_start_of_any_word_of_the_name(world: World, cli: Cli) -> None:
    for name, email in (
        ("José Álvarez", "jose@tailspin.example"),
        ("Ana Lima", "ana@contoso.example"),
        ("Aiko Tanaka", "aiko@fabrikam.example"),
        ("Anabel Ortiz", "anabel@northwind.example"),
    ):
        cli.ok("contacts", "add", name, "-e", email)
    assert _json(cli, "contacts", "show", "jose")["name"] == "José Álvarez"
    assert _json(cli, "contacts", "show", "ALVA")["name"] == "José Álvarez"
    assert _json(cli, "contacts", "show", "tan")["name"] == "Aiko Tanaka"
    assert _json(cli, "contacts", "show", "ana lim")["name"] == "Ana Lima"
    # "Ana" starts Ana and Anabel, never the middle of "Tanaka".
    message = cli.refused("contacts", "show", "ana")
    assert "'ana' is ambiguous: Ana Lima (" in message
    assert "Anabel Ortiz (" in message
    assert "Aiko" not in message


def test_failure_under_json_is_json_on_stderr(world: World, cli: Cli) -> None:
    result = cli("contacts", "show", "nobody", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert error["exit_code"] == 2
    assert error["error"].startswith("no contact matches 'nobody'")
    # Without --json, the same failure is a sentence.
    assert cli.refused("contacts", "show", "nobody").startswith("error: no contact matches")


@pytest.mark.parametrize(
    ("export", "source", "expected"),
    [
        pytest.param(
            "google_contacts.csv",
            "google",
            {
                "Lena Fischer": ["lena@contoso.example", "lena.f@mail.example"],
                "Priya Raman": ["priya@northwind.example", "p.raman@mail.example"],
                "Tom Okafor": [],
            },
            id="google-current",
        ),
        pytest.param(
            "google_legacy.csv",
            "google",
            {"Lena Fischer": ["lena@contoso.example"], "Raj Patel": ["raj@tailspin.example"]},
            id="google-legacy",
        ),
        pytest.param(
            "outlook_utf8.csv",
            "outlook",
            OUTLOOK,
            id="outlook-utf8",
        ),
        pytest.param(
            "outlook_windows1252.csv",
            "outlook",
            OUTLOOK,
            id="outlook-windows-1252",
        ),
        pytest.param(
            "excel_semicolon.csv",
            "csv",
            {"Marie Curie": ["marie@sorbonne.example"], "Kurt Gödel": ["kurt@ias.example"]},
            id="excel-semicolon",
        ),
        pytest.param(
            "contacts.vcf",
            "vcard",
            {
                "Margaret Hamilton": ["margaret@mit.example", "mh@mail.example"],
                "Nguyễn Văn An": ["an.nguyen@vng.example"],
                "Brian Baker": [],
            },
            id="vcard",
        ),
    ],
)
def test_each_export_layout_imports_names_and_addresses(
    world: World, cli: Cli, export: str, source: str, expected: dict[str, list[str]]
) -> None:
    summary = _json(cli, "contacts", "import", str(EXPORTS / export))
    assert summary["source"] == source
    assert (summary["new"], summary["without_email"]) == (
        len(expected),
        sum(1 for e in expected.values() if not e),
    )
    listed = {c["name"]: c["emails"] for c in _json(cli, "contacts", "list")}
    assert listed == expected
    # The same file again changes nothing.
    again = _json(cli, "contacts", "import", str(EXPORTS / export))
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, len(expected))


def test_outlook_titles_are_not_roles_and_vcard_keeps_org_and_title(world: World, cli: Cli) -> None:
    cli.ok("contacts", "import", str(EXPORTS / "outlook_windows1252.csv"))
    cli.ok("contacts", "import", str(EXPORTS / "contacts.vcf"))
    rows = {c["name"]: c for c in _json(cli, "contacts", "list")}
    assert (rows["Zoë Müller"]["role"], rows["Zoë Müller"]["company"]) == (
        "Research Lead",
        "Fabrikam",
    )
    assert rows["Margaret Hamilton"]["company"] == "MIT Instrumentation Lab"
    assert rows["Margaret Hamilton"]["role"] == "Director of Software Engineering"


def test_a_newer_export_adds_fills_and_reports_conflicts(world: World, cli: Cli) -> None:
    first = cli.ok("contacts", "import", str(EXPORTS / "linkedin_Connections.csv")).stdout
    assert "4 new, 0 updated, 0 unchanged, 3 without an address" in first

    later = EXPORTS / "linkedin_Connections_later.csv"
    out = cli.ok("contacts", "import", str(later)).stdout

    assert "1 new, 1 updated, 3 unchanged, 2 without an address, 1 skipped" in out
    assert f"skipped {later}:10: Ada Lovelace is Ada Lovelace (" in out
    assert "ada.l@elsewhere.example is not their known address" in out
    rows = {c["name"]: c for c in _json(cli, "contacts", "list")}
    assert rows["Grace Hopper"]["emails"] == ["grace@navy.example"]
    assert rows["Ada Lovelace"]["emails"] == [ADA]
    assert "Aiko Tanaka" in rows
    assert len(rows) == 5


def test_notes_find_referrals_in_any_form_and_open_ones_wait_for_an_address(
    world: World, cli: Cli
) -> None:
    cli.ok("contacts", "add", "Priya Raman", "-e", "priya@northwind.example")
    notes = (
        "Great chat. Lena Fischer (lena@contoso.example) runs the platform team.\n"
        "Raj at Tailspin, no email yet.\n"
        "Also hr@contoso.example, and raj@tailspin (a typo?)."
    )
    out = cli.ok("notes", "priya", "--text", notes).stdout
    assert "referral added: Lena Fischer <lena@contoso.example> (introduced by Priya" in out
    assert "open referral added: Raj at Tailspin has no address yet; ask Priya Raman" in out
    assert "could not read: line 3: hr@contoso.example has no name beside it" in out
    assert "could not read: line 3: 'raj@tailspin' is not a valid e-mail address" in out

    pipeline = cli.ok("pipeline").stdout
    assert "open referral: ask Priya Raman to introduce you to Raj;" in pipeline
    status = cli.ok("status", "--json").stdout
    [open_one] = json.loads(status)["open_referrals"]
    assert (open_one["name"], open_one["referrer"]) == ("Raj", "Priya Raman")
    assert json.loads(status)["open_referrals_count"] == 1

    # Completed with the address: an outreach draft comes, introduced by Priya.
    cli.ok("contacts", "edit", "Raj", "--name", "Raj Patel", "--email", "raj@tailspin.example")
    completed = json.loads(cli.ok("status", "--json").stdout)
    assert (completed["open_referrals"], completed["open_referrals_count"]) == ([], 0)
    [due] = [a for a in world.due("draft_outreach") if a.contact_id == open_one["contact_id"]]
    assert due.about_contact_id == _json(cli, "contacts", "show", "priya")["contact_id"]
    raj = _json(cli, "contacts", "show", "raj")
    assert (raj["company"], raj["referred_by"]) == ("Tailspin", "Priya Raman")


def test_notes_under_json(world: World, cli: Cli) -> None:
    cli.ok("contacts", "add", "Priya Raman", "-e", "priya@northwind.example")
    report = _json(cli, "notes", "priya", "--text", "Talk to Joan Clarke <joan@example.org>")
    assert report["referrals"] == [
        {"name": "Joan Clarke", "email": "joan@example.org", "company": None, "state": "added"}
    ]
    assert report["unread"] == []


def test_a_closed_contact_gets_no_nudge_until_reopened(world: World, cli: Cli) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    cli.ok("contacts", "add", "Grace Hopper", "-e", "grace@navy.example")
    world.later(days=8)
    assert [a.contact_id for a in world.due("draft_nudge")] == [world.contact(ADA).contact_id]

    closed = _json(cli, "close", "ada", "--declined", "--note", "No time this spring")
    assert (closed["closed"], closed["next_step"]) == (
        "declined",
        "nothing: closed (outreach reopen to pick it up again)",
    )
    assert world.due("draft_nudge") == []
    world.later(days=30)
    assert world.due("draft_nudge") == []
    assert world.due("record_no_response") == []
    [event] = world.events("contact.closed")
    assert (event["outcome"], event["note"]) == ("declined", "No time this spring")
    assert [r["name"] for r in _json(cli, "pipeline", "--closed")] == ["Ada Lovelace"]
    assert [r["name"] for r in _json(cli, "pipeline", "--active")] == ["Grace Hopper"]
    assert [r["name"] for r in _json(cli, "pipeline", "--stage", "sent")] == ["Ada Lovelace"]
    assert "closed (declined)" in cli.ok("pipeline", "--closed").stdout
    assert "already closed" in cli.refused("close", "ada", "--not-now")
    assert "exactly one of" in cli.refused("close", "grace", "--done", "--not-now")
    assert "no stage 'nope'" in cli.refused("pipeline", "--stage", "nope")

    cli.ok("reopen", "ada")
    assert [a.contact_id for a in world.due("draft_nudge")] == [world.contact(ADA).contact_id]
    history = cli.ok("history", "ada").stdout
    assert "you closed this contact: they declined — No time this spring" in history
    assert "you reopened this contact" in history


def test_a_waiting_nudge_is_dropped_when_the_contact_is_closed(world: World, cli: Cli) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    world.later(days=8)
    world.perform("draft_nudge")
    assert _json(cli, "contacts", "show", "ada")["next_step"] == ("your reminder waits for review")
    cli.ok("close", "ada", "--not-now")
    world.perform("delete_draft")
    assert world.drafts() == []
    assert world.mail()["drafts"] == []


def test_forgetting_a_merged_person_forgets_both_records(world: World, cli: Cli) -> None:
    cli.ok("contacts", "add", "Ada Lovelace", "-e", ADA, "--company", "Analytical")
    cli.ok("contacts", "add", "Ada King", "-e", "ada.king@mail.example")
    kept = _json(cli, "contacts", "merge", "Ada Lovelace", "Ada King")
    cli.ok("contacts", "forget", "ada", "--yes")
    forgotten = {e["contact_id"] for e in world.events("contact.forgotten")}
    assert len(forgotten) == 2
    assert kept["contact_id"] in forgotten
    everything = cli.ok("pipeline", "--json").stdout + cli.ok("contacts", "list", "--json").stdout
    for trace in ("Ada", "ada.king@mail.example", ADA, "Analytical"):
        assert trace not in everything
