"""Pure domain model: entities, statuses and their transitions, error codes, events."""
