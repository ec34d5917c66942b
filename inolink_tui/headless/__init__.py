"""The --no-ui daemon: the engine as a service, with JSON logs, metrics and alerts (no Textual)."""
