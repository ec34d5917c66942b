"""Test doubles shared by every test package (one of each, so they cannot drift apart)."""
