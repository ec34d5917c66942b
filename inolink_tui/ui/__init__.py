"""The Textual console: the only package allowed to import Textual."""
