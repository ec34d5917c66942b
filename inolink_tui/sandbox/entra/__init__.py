"""Simulated Entra ID (Azure AD) for the client-credentials flow msal uses against Dataverse."""

from inolink_tui.sandbox.entra.routes import entra_routes
from inolink_tui.sandbox.entra.state import EntraState, IssuedToken, normalise_audience

__all__ = ["EntraState", "IssuedToken", "entra_routes", "normalise_audience"]
