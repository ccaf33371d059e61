"""Reading which offered time a contact chose, over replies written the way people write.

A wrong pick books the wrong meeting; "unclear" only asks the user. The table must
give zero wrong picks, and most clear answers must be read.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from worker.domain.answers import read_answer, says_no

PARIS = ZoneInfo("Europe/Paris")
# Offered on Monday 2 March 2026: Tuesday 10:00, Wednesday 14:00, Thursday 11:30 (Paris).
OFFERED = [
    datetime(2026, 3, 3, 10, 0, tzinfo=PARIS),
    datetime(2026, 3, 4, 14, 0, tzinfo=PARIS),
    datetime(2026, 3, 5, 11, 30, tzinfo=PARIS),
]
RECEIVED = datetime(2026, 3, 2, 16, 40, tzinfo=PARIS)
SAME = ("Europe/Paris",)
# A contact in London writes London times (09:00, 13:00, 10:30) or echoes ours.
LONDON = ("Europe/London", "Europe/Paris")

U = "unclear"
N = "declined"

#: (reply, zones, expected: 1-3, "unclear" or "declined")
TABLE: list[tuple[str, tuple[str, ...], int | str]] = [
    # explicit date and time
    ("Tuesday 3 March at 10:00 works for me.", SAME, 1),
    ("March 4 at 2pm is perfect, thanks!", SAME, 2),
    ("Let's do 5 March, 11:30.", SAME, 3),
    ("The 4th of March at 14:00 suits me well.", SAME, 2),
    ("Great, Thursday March 5th at 11.30 works.", SAME, 3),
    ("3/3 at 10am works", SAME, 1),
    # weekday and time
    ("Wednesday at 2 works for me!", SAME, 2),
    ("Thursday 11:30 is good.", SAME, 3),
    ("Tuesday at 10 sounds good, speak then.", SAME, 1),
    ("Hi Sam, Wed 2pm would be great.", SAME, 2),
    ("Thanks for the options. Thursday at 11:30am works best for me.", SAME, 3),
    # weekday alone
    ("Tuesday works.", SAME, 1),
    ("Wednesday is good for me.", SAME, 2),
    ("Thursday suits me best.", SAME, 3),
    ("Let's go with Thursday then.", SAME, 3),
    ("I can do Wednesday.", SAME, 2),
    ("Thu please", SAME, 3),
    ("Tuesday!", SAME, 1),
    # ordinals
    ("The second one works for me.", SAME, 2),
    ("The first option is great.", SAME, 1),
    ("I'll take the third slot.", SAME, 3),
    ("The last one works best.", SAME, 3),
    ("Option 2 please.", SAME, 2),
    ("#1 works", SAME, 1),
    ("Second one is good, looking forward to it.", SAME, 2),
    ("Happy to do the middle one.", SAME, 2),
    # relative to the reply's date
    ("Tomorrow at 10 works for me.", SAME, 1),
    ("Tomorrow works.", SAME, 1),
    # refusing one, accepting another
    ("I can't do Tuesday, but Thursday works.", SAME, 3),
    ("Unfortunately Wednesday is busy for me. Thursday is fine.", SAME, 3),
    ("Tuesday is no good, I'm travelling. Wednesday works though.", SAME, 2),
    # the contact in London, in their time or in ours
    ("9am on Tuesday works for me.", LONDON, 1),
    ("Wednesday at 1pm my time is perfect.", LONDON, 2),
    ("Thursday at 10:30 works.", LONDON, 3),
    ("Tuesday at 10:00 your time works.", LONDON, 1),
    # choosing several, or any
    ("Any of those work for me.", LONDON, U),
    ("Tuesday or Wednesday both work.", SAME, U),
    ("Either Tuesday or Thursday, whichever suits you.", SAME, U),
    ("All three work, you pick!", SAME, U),
    ("Tuesday works, and Thursday would too.", SAME, U),
    # proposing another time
    ("None of these work, could we do next week?", SAME, U),
    ("How about Friday at 3pm?", SAME, U),
    ("Could we do Tuesday afternoon instead?", SAME, U),
    ("Wednesday at 4pm would work better for me.", SAME, U),
    ("Can we move it to Monday the 9th?", SAME, U),
    ("I'm away this week; the following week would be better.", SAME, U),
    ("Thursday works but only later in the afternoon, say 4pm?", SAME, U),
    ("Tuesday morning works, but could we start at 9?", SAME, U),
    ("March 10 at 10am?", SAME, U),
    ("Would Friday work instead?", SAME, U),
    # ambiguous or no time named
    ("Sounds great, looking forward to it!", SAME, U),
    ("Sure, happy to chat.", SAME, U),
    ("Let me check my calendar and get back to you.", SAME, U),
    ("I'm travelling on Tuesday.", SAME, U),
    ("Tuesday.", SAME, 1),
    ("I'm free on Wednesday and Thursday.", SAME, U),
    ("10am works", SAME, 1),
    ("At 2 is fine", SAME, 2),
    ("The first one doesn't work for me, sorry.", SAME, U),
    ("Not Tuesday, sorry.", SAME, U),
    ("First of all, thanks for reaching out! Let me get back to you with a time.", SAME, U),
    # a no, or not now
    ("Thanks, but I'm not interested.", SAME, N),
    ("I'm afraid now is not a good time for me.", SAME, N),
    ("Not now, maybe in a few months.", SAME, N),
    ("I'll have to pass, sorry. Good luck!", SAME, N),
    ("I'm no longer at the company, so I won't be able to help.", SAME, N),
    # the reply quotes our offer below: only the contact's own words count
    (
        "Thursday works! On Mon, Mar 2, 2026 at 4:00 PM Sam <sam@example.com> wrote: "
        "- Tuesday 3 March at 10:00 CET - Wednesday",
        SAME,
        3,
    ),
    (
        "Sounds good. On Mon, 2 Mar 2026 at 16:00, Sam wrote: Would one of these times work",
        SAME,
        U,
    ),
    # written after the reader was done, and kept as they came out: the three it leaves
    # unclear would be right to read, and stay here to show what it misses.
    ("Wednesday 2pm is ideal for me, see you then.", SAME, 2),
    ("I could make Thursday work.", SAME, 3),
    ("Thursday is best. Talk soon", SAME, 3),
    ("Tuesday would be lovely.", SAME, 1),
    ("Happy to. Wednesday afternoon suits.", SAME, 2),
    ("Let's say the 5th.", SAME, 3),
    ("Perfect - put me down for Tuesday at 10.", SAME, 1),
    ("I have a conflict on Wednesday, but the other two are fine.", SAME, U),
    ("Thanks Sam! Weds at 2 works for me.", SAME, 2),
    ("I can only do mornings, so Tuesday.", SAME, 1),
    ("Could we do 30 minutes on Thursday at 11:30? Great.", SAME, 3),
    ("Sorry, this month is crazy for me. Maybe in April?", SAME, U),
    ("Monday works", SAME, U),
    ("Friday works for me.", SAME, U),
    ("Tuesday at 11 works.", SAME, U),
]
#: Rows the reader leaves unclear though a reader could tell (see above).
MISSED = 3


@pytest.mark.parametrize(("reply", "zones", "expected"), TABLE)
def test_each_reply_reads_as_expected(
    reply: str, zones: tuple[str, ...], expected: int | str
) -> None:
    answer = read_answer(reply, RECEIVED, OFFERED, zones)
    got: int | str = (
        answer.choice if answer.outcome == "chosen" and answer.choice else answer.outcome
    )
    # Never a wrong pick; "unclear" where a choice was meant is a miss, counted below.
    assert got == expected or (got == U and isinstance(expected, int))


def test_the_table_is_large_and_never_guesses_wrong() -> None:
    right = unclear = wrong = 0
    for reply, zones, expected in TABLE:
        answer = read_answer(reply, RECEIVED, OFFERED, zones)
        got: int | str = answer.choice if answer.choice else answer.outcome
        if got == expected:
            right += 1
        elif got in (U, N):
            unclear += 1
        else:
            wrong += 1
    assert len(TABLE) >= 60
    assert wrong == 0
    assert unclear == MISSED
    assert right == len(TABLE) - MISSED


def test_a_no_is_noticed_and_a_yes_is_not() -> None:
    assert says_no("Thanks for reaching out, but I'm not interested.")
    assert says_no("Not now, I'm afraid.")
    assert not says_no("Happy to talk! Next week is good.")
    assert not says_no("Happy to help. I'm not free Monday, but otherwise fine.")
