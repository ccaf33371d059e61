"""Graph mail through requests: drafts, replies, send, sendMail, ids, $select, $filter,
and the contact side (replies, out-of-office, bounces)."""

from __future__ import annotations

from datetime import timedelta

from integrations.sandbox import SimClock
from integrations.sandbox.microsoft import MicrosoftEmulator

from .conftest import GraphClient, assert_graph_error


def _sent_copy(graph: GraphClient, internet_message_id: str) -> list[dict]:
    response = graph.get(
        "/me/mailFolders/sentitems/messages",
        params={"$filter": f"internetMessageId eq '{internet_message_id}'", "$select": "id"},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["value"])


def test_bearer_token_is_required(emulator: MicrosoftEmulator) -> None:
    base = emulator.endpoints()["graph"]
    missing = GraphClient(base, "")
    missing.session.headers.pop("Authorization")
    response = missing.get("/me/messages")
    assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert "WWW-Authenticate" in response.headers
    assert_graph_error(GraphClient(base, "garbage").get("/me"), 401, "InvalidAuthenticationToken")
    assert_graph_error(GraphClient(base, "a.b.c").get("/me"), 401, "InvalidAuthenticationToken")


def test_draft_lifecycle_with_select(graph: GraphClient) -> None:
    draft = graph.draft()
    assert draft["isDraft"] is True
    assert draft["internetMessageId"].startswith("<")
    assert draft["parentFolderId"] != "drafts"  # a real folder id, not the alias
    got = graph.get(f"/me/messages/{draft['id']}", params={"$select": "subject,isDraft"})
    assert set(got.json()) == {"@odata.etag", "id", "subject", "isDraft"}
    patched = graph.patch(f"/me/messages/{draft['id']}", json={"subject": "Coffee next week?"})
    assert patched.status_code == 200
    assert patched.json()["subject"] == "Coffee next week?"
    assert graph.delete(f"/me/messages/{draft['id']}").status_code == 204
    moved = graph.get(f"/me/messages/{draft['id']}").json()
    assert moved["parentFolderId"] == graph.get("/me/mailFolders/deleteditems").json()["id"]
    assert_graph_error(
        graph.get(f"/me/messages/{draft['id']}", params={"$select": "nope"}),
        400,
        "RequestBroker--ParseUri",
    )


def test_bad_bodies_get_graph_shaped_400s(graph: GraphClient) -> None:
    assert_graph_error(graph.post("/me/messages", data=b"{not json"), 400, "BadRequest")
    assert_graph_error(graph.post("/me/messages", json=[1, 2]), 400)
    assert_graph_error(graph.post("/me/messages", json={"sbject": "typo"}), 400, "RequestBodyRead")
    assert_graph_error(
        graph.post(
            "/me/messages",
            json={"internetMessageHeaders": [{"name": "In-Reply-To", "value": "<a@b>"}]},
        ),
        400,
        "InvalidInternetMessageHeader",
    )
    assert_graph_error(graph.post("/me/messages", json={"internetMessageId": "nope"}), 400)
    assert_graph_error(graph.get("/me/messages/unknown-id"), 404, "ErrorItemNotFound")
    assert_graph_error(graph.get("/me/nothingHere"), 400, "BadRequest")


def test_send_draft_reaches_sent_items_after_the_delay(
    graph: GraphClient, emulator: MicrosoftEmulator, clock: SimClock
) -> None:
    draft = graph.draft()
    response = graph.post(f"/me/messages/{draft['id']}/send")
    assert (response.status_code, response.content) == (202, b"")
    assert _sent_copy(graph, draft["internetMessageId"]) == []  # not there yet
    drafts = graph.get("/me/mailFolders/drafts/messages").json()["value"]
    assert draft["id"] not in [m["id"] for m in drafts]
    clock.advance(timedelta(seconds=31))
    (copy,) = _sent_copy(graph, draft["internetMessageId"])
    assert copy["id"] == draft["id"]  # immutable id survives the move
    sent = emulator.state()["sent"]
    assert sent[0]["internetMessageId"] == draft["internetMessageId"]
    assert sent[0]["inSentItems"] is True
    assert_graph_error(graph.post(f"/me/messages/{draft['id']}/send"), 400)


def test_send_mail_keeps_a_given_message_id(
    graph: GraphClient, emulator: MicrosoftEmulator, clock: SimClock
) -> None:
    emulator.set_sent_copy_delay(120)
    message = {
        "subject": "Intro",
        "body": {"contentType": "html", "content": "<p>Hi</p>"},
        "toRecipients": [{"emailAddress": {"address": "carol@example.org"}}],
        "internetMessageId": "<intro-1@outreach.example>",
    }
    assert graph.post("/me/sendMail", json={"message": message}).status_code == 202
    clock.advance(timedelta(seconds=60))
    assert _sent_copy(graph, "<intro-1@outreach.example>") == []
    clock.advance(timedelta(seconds=61))
    assert len(_sent_copy(graph, "<intro-1@outreach.example>")) == 1
    unsaved = dict(message, internetMessageId="<intro-2@outreach.example>")
    graph.post("/me/sendMail", json={"message": unsaved, "saveToSentItems": False})
    clock.advance(timedelta(minutes=30))
    assert _sent_copy(graph, "<intro-2@outreach.example>") == []
    assert [s["via"] for s in emulator.state()["sent"]] == ["sendMail", "sendMail"]
    no_recipients = {"message": {"subject": "x"}}
    assert_graph_error(
        graph.post("/me/sendMail", json=no_recipients), 400, "ErrorInvalidRecipients"
    )


def test_ids_change_on_move_unless_immutable(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    regular = GraphClient(graph.base, emulator.access_token, immutable=False)
    draft = regular.draft()
    moved = regular.post(f"/me/messages/{draft['id']}/move", json={"destinationId": "archive"})
    assert moved.status_code == 201
    assert moved.json()["id"] != draft["id"]
    assert_graph_error(regular.get(f"/me/messages/{draft['id']}"), 404)
    stable = graph.draft()
    again = graph.post(f"/me/messages/{stable['id']}/move", json={"destinationId": "archive"})
    assert again.json()["id"] == stable["id"]


def test_reply_threads_and_contact_answers(
    graph: GraphClient, emulator: MicrosoftEmulator, clock: SimClock
) -> None:
    incoming = emulator.deliver("dana@example.org", "Question", "Can we talk?")
    reply = graph.post(f"/me/messages/{incoming['id']}/createReply", json={"comment": "Sure"})
    assert reply.status_code == 201
    draft = reply.json()
    assert draft["conversationId"] == incoming["conversationId"]
    assert draft["subject"] == "RE: Question"
    assert draft["toRecipients"][0]["emailAddress"]["address"] == "dana@example.org"
    both = {"comment": "x", "message": {"subject": "y"}}
    assert_graph_error(graph.post(f"/me/messages/{incoming['id']}/createReply", json=both), 400)
    graph.post(f"/me/messages/{draft['id']}/send")
    answer = emulator.deliver_reply(draft["internetMessageId"], "Great, Tuesday?")
    assert answer["conversationId"] == incoming["conversationId"]
    headers = graph.get(
        f"/me/messages/{answer['id']}", params={"$select": "internetMessageHeaders,from"}
    ).json()
    names = {h["name"]: h["value"] for h in headers["internetMessageHeaders"]}
    assert names["In-Reply-To"] == draft["internetMessageId"]
    assert headers["from"]["emailAddress"]["address"] == "dana@example.org"


def test_out_of_office_and_bounces_are_marked(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    draft = graph.draft(to="erin@example.org")
    graph.post(f"/me/messages/{draft['id']}/send")
    ooo = emulator.deliver_out_of_office(draft["internetMessageId"])
    ndr = emulator.deliver_bounce(draft["internetMessageId"])
    daemon = emulator.deliver_bounce(draft["internetMessageId"], mailer_daemon=True)
    select = {"$select": "subject,from,internetMessageHeaders,conversationId"}
    got = {
        k: graph.get(f"/me/messages/{v['id']}", params=select).json()
        for k, v in {"ooo": ooo, "ndr": ndr, "daemon": daemon}.items()
    }
    ooo_headers = {h["name"]: h["value"] for h in got["ooo"]["internetMessageHeaders"]}
    assert ooo_headers["Auto-Submitted"] == "auto-replied"
    assert got["ooo"]["subject"].startswith("Automatic reply:")
    assert got["ooo"]["conversationId"] == draft["conversationId"]
    assert got["ndr"]["from"]["emailAddress"]["address"] == "postmaster@contoso.example"
    assert got["ndr"]["subject"].startswith("Undeliverable:")
    assert got["daemon"]["from"]["emailAddress"]["address"] == "MAILER-DAEMON@example.org"


def test_filter_on_internet_message_id_and_paging(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    emulator.seed(25)
    page = graph.get("/me/mailFolders/inbox/messages", params={"$top": "10"}).json()
    assert len(page["value"]) == 10
    second = graph.get(page["@odata.nextLink"]).json()
    assert len(second["value"]) == 10
    assert not {m["id"] for m in page["value"]} & {m["id"] for m in second["value"]}
    wanted = page["value"][3]["internetMessageId"]
    found = graph.get(
        "/me/messages", params={"$filter": f"internetMessageId eq '{wanted}'"}
    ).json()["value"]
    assert [m["internetMessageId"] for m in found] == [wanted]
    assert_graph_error(graph.get("/me/messages", params={"$filter": "internetMessageId eq"}), 400)
    assert_graph_error(graph.get("/me/messages", params={"$filter": "bodyPreview eq 'x'"}), 400)
    assert_graph_error(
        graph.get(
            "/me/messages",
            params={"$filter": "subject eq 'x'", "$orderby": "receivedDateTime desc"},
        ),
        400,
        "InefficientFilter",
    )


def test_body_content_type_preference(graph: GraphClient, emulator: MicrosoftEmulator) -> None:
    bounce_source = graph.draft()
    graph.post(f"/me/messages/{bounce_source['id']}/send")
    ndr = emulator.deliver_bounce(bounce_source["internetMessageId"])
    text = graph.get(
        f"/me/messages/{ndr['id']}",
        headers={"Prefer": 'IdType="ImmutableId", outlook.body-content-type="text"'},
    ).json()
    assert text["body"]["contentType"] == "text"
    assert "<p>" not in text["body"]["content"]
