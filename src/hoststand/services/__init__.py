"""Use cases: each change is one transaction that writes the change and its events."""
