"""The local web page: the review loop for people who never open a terminal, served on
loopback, built on the same services as the command line (no logic in request handlers)."""
