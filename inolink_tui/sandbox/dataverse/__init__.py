"""Simulated Dataverse Web API v9.2: the CRM tables InoLink syncs, OData queries, change tracking, $batch.

See `schema.py` for the tables and columns, `query.py` for the `$filter` matching rules, `metadata.py` for
`EntityDefinitions`, `changes.py` for delta links, `batch.py` for `$batch`, and `throttle.py` for service
protection limits.
"""

from inolink_tui.sandbox.dataverse.routes import dataverse_routes
from inolink_tui.sandbox.dataverse.state import DataverseState
from inolink_tui.sandbox.dataverse.throttle import DataverseLimits

__all__ = ["DataverseLimits", "DataverseState", "dataverse_routes"]
