"""Run modes: actors on a broker, the embedded single process, the scaled-out worker and
scheduler, their loops, heartbeat, signals, clocks and service unit, and the composition root
that wires them."""
