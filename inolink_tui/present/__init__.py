"""How jobs look on a terminal, shared by the CLI (`jobs list`, `jobs show`) and the console.

Textual-free on purpose: the CLI must print a table without importing a UI framework, and the console
must clean, measure and lay out text by the very same rules, so a record name looks the same (and is
as harmless) in both. Depends on the domain only (and Rich's cell measuring, which Textual paints with).
"""
