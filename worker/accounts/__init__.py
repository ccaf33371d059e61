"""Connected accounts: grants, tokens, connecting, and the registry that gives a provider for
an account. The only layer that knows the concrete Google and Microsoft adapters."""
