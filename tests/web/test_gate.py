"""Nobody else gets in: the page refuses requests without the sign-in cookie, without the
CSRF token, or addressed to another host name; its secret and tokens never show."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
import requests

from events.errors import UserError
from tests.web.conftest import ADA, PageWorld
from worker.web.security import SECRET_FILE, Gate, load_secret


def _signed_in(world: PageWorld) -> requests.Session:
    session = world.http()
    answer = session.get(world.served.sign_in_url(), timeout=10)
    assert answer.status_code == 200
    assert answer.url == f"{world.url}/"
    return session


def _csrf(page: str) -> str:
    marker = 'name="csrf" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def _nothing_sent(world: PageWorld) -> None:
    assert world.mail()["sent"] == []
    assert [d.status for d in world.drafts(None)] == ["pending"]


def test_without_the_cookie_nothing_is_shown_or_done(world: PageWorld) -> None:
    world.outreach_draft("Ada Lovelace", ADA)
    [draft] = world.drafts()
    for path in ("/", "/people", "/progress", f"/people/{draft.contact_id}"):
        answer = requests.get(world.url + path, timeout=10)
        assert answer.status_code == 401
        assert "Ada" not in answer.text
        assert ADA not in answer.text
        assert "outreach ui" in answer.text  # says how to get in
    stranger = requests.post(
        f"{world.url}/drafts/{draft.draft_id}/send",
        data={"subject": "hi", "body": "hi", "csrf": "x"},
        timeout=10,
    )
    assert stranger.status_code == 401
    forged = requests.get(
        world.url + "/", cookies={"outreach_session": "a.9999999999.b"}, timeout=10
    )
    assert forged.status_code == 401
    _nothing_sent(world)


def test_a_sign_in_link_works_once(world: PageWorld) -> None:
    link = world.served.sign_in_url()
    first = requests.get(link, timeout=10, allow_redirects=False)
    assert first.status_code == 303
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    again = requests.get(link, timeout=10, allow_redirects=False)
    assert again.status_code == 401
    assert "already used" in again.text
    assert requests.get(link[:-4] + "0000", timeout=10).status_code == 401


def test_a_post_without_the_csrf_token_is_refused(world: PageWorld) -> None:
    world.outreach_draft("Ada Lovelace", ADA, how_we_know="We met at PyCon")
    [draft] = world.drafts()
    session = _signed_in(world)
    form = {"subject": "Hello", "body": "Hello there", "anyway": "1"}
    for data in (form, {**form, "csrf": "0" * 64}):
        refused = session.post(f"{world.url}/drafts/{draft.draft_id}/send", data=data, timeout=10)
        assert refused.status_code == 403
        assert "Nothing was changed" in refused.text
    # Another session's token is no good either.
    other = _csrf(_signed_in(world).get(world.url + "/", timeout=10).text)
    refused = session.post(
        f"{world.url}/drafts/{draft.draft_id}/send", data={**form, "csrf": other}, timeout=10
    )
    assert refused.status_code == 403
    _nothing_sent(world)
    # With its own token the same form goes through.
    token = _csrf(session.get(world.url + "/", timeout=10).text)
    sent = session.post(
        f"{world.url}/drafts/{draft.draft_id}/send", data={**form, "csrf": token}, timeout=10
    )
    assert sent.status_code == 200
    assert "Sent to ada@analytical.example" in sent.text
    assert len(world.mail()["sent"]) == 1


def test_a_foreign_host_is_refused(world: PageWorld) -> None:
    """DNS rebinding: a hostile site's name resolving to 127.0.0.1 reaches the port, but
    its requests carry that name as Host."""
    world.outreach_draft("Ada Lovelace", ADA)
    session = _signed_in(world)
    port = world.url.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", "127.0.0.1", f"127.0.0.1.evil.example:{port}"):
        answer = session.get(world.url + "/", headers={"Host": host}, timeout=10)
        assert answer.status_code == 421, host
        assert "Ada" not in answer.text
    cookie = {"Cookie": f"outreach_session={session.cookies['outreach_session']}"}
    ok = requests.get(world.url + "/", headers={"Host": f"localhost:{port}", **cookie}, timeout=10)
    assert ok.status_code == 200
    assert "Ada Lovelace" in ok.text


def test_every_page_carries_a_policy_without_script(world: PageWorld) -> None:
    session = _signed_in(world)
    for path in ("/", "/people", "/progress", "/sign-in"):
        headers = session.get(world.url + path, timeout=10).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "script-src" not in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_no_secret_or_token_in_pages_or_logs(
    world: PageWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world.outreach_draft("Ada Lovelace", ADA)
    secret = load_secret(world.app.settings.data_dir)
    link = world.served.sign_in_url()
    token = link.split("token=")[1]
    session = world.http()
    session.get(link, timeout=10)
    cookie = session.cookies["outreach_session"]
    pages = "".join(
        session.get(world.url + p, timeout=10).text for p in ("/", "/people", "/progress")
    )
    for hidden in (secret.hex(), (world.app.settings.data_dir / SECRET_FILE).read_text(), token):
        assert hidden.strip() not in pages
    assert cookie not in pages
    assert cookie.split(".")[2] not in pages
    # Everything the server side logged (urllib3 is this test's own HTTP client).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "urllib3.connectionpool")
    for hidden in (token, cookie, secret.hex()):
        assert hidden not in logged


def test_the_secret_file_is_private(tmp_path: Path) -> None:
    secret = load_secret(tmp_path)
    path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(tmp_path) == secret
    assert len(secret) == 32
    os.chmod(path, 0o644)
    with pytest.raises(UserError, match="readable by other users"):
        load_secret(tmp_path)


def test_links_and_sessions_expire() -> None:
    now = [1_000_000.0]
    gate = Gate(b"k" * 32, clock=lambda: now[0])
    link, session = gate.sign_in_token(), gate.new_session()
    now[0] += 301
    assert not gate.redeem(link)
    assert gate.session_id(session) is not None
    now[0] += 15 * 24 * 3600
    assert gate.session_id(session) is None
