"""The columns every table has, maintained by the write path (clients cannot set them).

`createdonbehalfby` / `modifiedonbehalfby` name the real caller when a request impersonates another user
(Learn "Impersonate another user using the Web API", "Determine the actual user": "the user who actually performed
the operation can be found by querying the record including the createdonbehalfby single-valued navigation
property. A corresponding modifiedonbehalfby ... is available for operations that update the entity").
"""

from __future__ import annotations

from inolink_tui.sandbox.dataverse.schema_types import Column, Kind, _dt, _lookup


def system_columns(primary_key: str) -> list[Column]:
    """The system columns of a table (stock tables, and tables the metadata API creates)."""
    return [
        Column(primary_key, Kind.GUID),
        _dt("createdon", read_only=True),
        _dt("modifiedon", read_only=True),
        _lookup("createdby", {"createdby": "systemusers"}, read_only=True),
        _lookup("modifiedby", {"modifiedby": "systemusers"}, read_only=True),
        _lookup("createdonbehalfby", {"createdonbehalfby": "systemusers"}, read_only=True),
        _lookup("modifiedonbehalfby", {"modifiedonbehalfby": "systemusers"}, read_only=True),
        _lookup("ownerid", {"ownerid": "systemusers"}),
        Column("versionnumber", Kind.BIGINT, read_only=True),
    ]
