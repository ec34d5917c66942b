"""The engine's refusal to start on an org whose schema does not match [crm.schema].

Its own module, free of the connectors, so the console's start (`cli/run_cmd.py`), which catches it around
every start, does not import msal, httpx and the Dataverse client when no engine runs in its process.
"""

from __future__ import annotations


class SchemaMismatch(ValueError):
    """The org lacks what [crm.schema] names, or holds other choice values: the engine must not start."""
