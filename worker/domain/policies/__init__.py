"""Decisions: pure functions of (views, now, policy settings) that say what is due. No I/O."""
