"""Intuit OAuth 2.0 (authorize, token, revoke, userinfo) as seen by `intuit-oauth`."""

from inolink_tui.sandbox.intuit.routes import intuit_routes
from inolink_tui.sandbox.intuit.state import IntuitState, OAuthError

__all__ = ["IntuitState", "OAuthError", "intuit_routes"]
