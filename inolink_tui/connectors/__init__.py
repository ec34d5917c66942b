"""Async clients for Dataverse and QuickBooks Online: auth, limits, retries, error classification.

Where things are:
- `dataverse.DataverseClient` / `quickbooks.QuickBooksClient`: the API calls (one client per Dataverse
  user / QuickBooks company; their limiter is that identity's budget, so share the client).
- `odata` and `qbo_query`: query builders that escape every literal (never concatenate user text).
- `requestid`: deterministic QuickBooks requestids from (scope, job id, purpose).
- `dataverse_auth` / `qbo_auth`: tokens (msal, intuit-oauth) off the event loop; `status()` for the console.
- `errors`: typed exceptions carrying status, code, message, `error_class`, `retryable`, `hint`, `retry_after`
  (classification table in `inolink_tui.domain.errors`).
- `events`: `AuthProblem`, `AuthRestored`, `Throttled`, delivered to any `Callable[[object], None]`.
- `limits`, `retry`, `transport`: budgets, the throttle gate, backoff, and the shared request loop.
- `settings`: plain dataclasses, and `*_settings_from(config_section)` so the connectors never import config.
"""
