"""QuickBooks Online Accounting API v3 for one company (realm), in memory."""

from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.routes import QboApi
from inolink_tui.sandbox.quickbooks.state import QboState

__all__ = ["QboApi", "QboFault", "QboState"]
