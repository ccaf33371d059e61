"""Every kind of draft is named in words wherever the user meets it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from events.types import DraftKind
from tests.worker.domain.policies.builders import contact, draft, snapshot
from worker.domain.policies.summary import daily_summary
from worker.domain.settings import Policy
from worker.domain.wording import DRAFT_KIND_WORDS

NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_every_draft_kind_has_its_words() -> None:
    assert set(DRAFT_KIND_WORDS) == set(get_args(DraftKind))
    assert all("_" not in words for words in DRAFT_KIND_WORDS.values())


def test_the_daily_summary_names_a_reply_offering_times_in_words() -> None:
    ada = contact("c1", name="Ada Lovelace", stage="replied")
    waiting = draft("d1", "c1", "propose_times", datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    found = daily_summary(snapshot([ada], drafts=[waiting]), NOW, Policy())
    assert found is not None
    assert "- reply offering times to Ada Lovelace, waiting" in found.body
    assert "propose_times" not in found.body
