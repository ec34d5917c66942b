"""Async clients for Dataverse and QuickBooks Online: auth, limits, retries, error classification."""
