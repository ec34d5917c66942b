"""The sync engine: services on an APScheduler schedule, workers and the event bus (no Textual)."""
