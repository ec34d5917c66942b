"""Moved: the one in-memory store is tests/fakes/memstore.py. This alias only keeps tests written on other
branches meanwhile importable after a merge; import `tests.fakes.memstore` instead."""

from tests.fakes.memstore import MemoryStore, lease_for

__all__ = ["MemoryStore", "lease_for"]
