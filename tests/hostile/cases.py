"""How many hostile cases each input kind was tried with, reported at the end of the run.

Hypothesis stops early when it has exhausted a small strategy, so `max_examples` alone
does not say how much was tried: each test counts the cases it actually ran.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings

TRIED: Counter[str] = Counter()


def tried(kind: str, n: int = 1) -> None:
    """Count `n` cases of one input kind (e.g. "mime", "calendar.google")."""
    TRIED[kind] += n


def fuzz(max_examples: int) -> settings:
    """Hypothesis settings for these tests: no per-example deadline (two cores shared by
    everyone's tests make timings meaningless) and fixtures reused across examples
    (every example leaves the app in a valid state, which is what is under test)."""
    # bench/fuzz_inputs.py sets the scale for a bigger run of the same properties.
    scale = float(os.environ.get("OUTREACH_FUZZ_SCALE", "1"))
    return settings(
        max_examples=max(1, int(max_examples * scale)),
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
