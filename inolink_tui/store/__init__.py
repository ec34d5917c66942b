"""Persistence of Link Jobs, record links, cursors, the audit log and tokens."""
