"""Moved: the one in-memory store is tests/fakes/memstore.py. This alias only keeps tests written on other
branches meanwhile importable after a merge; import `tests.fakes.memstore.MemoryStore` instead."""

from tests.fakes.memstore import MemoryStore as MemStore

__all__ = ["MemStore"]
