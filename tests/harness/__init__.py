"""The test and benchmark harness: crash-and-restart stories, lockstep processes on a shared
clock, fresh databases. Tests and bench/ import it; nothing installed does."""
