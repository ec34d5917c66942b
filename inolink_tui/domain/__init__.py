"""Pure types of the product: Link Jobs, record links, filters, errors and events.

Nothing here performs I/O or imports another layer of ours, so every other layer (and the
sandbox) can share these names without dragging a database, a network client or Textual along.
"""
