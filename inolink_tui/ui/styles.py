"""The console's own CSS (beyond each widget's DEFAULT_CSS).

The key footer (Textual 8.2.8's compact Footer) gives every key `margin-right: 1`, the command palette key
included; docked right, that margin leaves the footer's last column uncovered, so whatever binding scrolls
beneath it showed through as a stray character at the right end (at 81-110 columns, among others, wherever a
letter fell there). The palette key gets no margin, and a padding of one instead, so "^p Commands" still ends
one space from the edge.

Under NO_COLOR (Textual's `:nocolor`) what is drawn faint by design comes out too dark once turned grey: the
palette key's separator (the foreground at 20 %) and the sparklines' low bars (their colour at 40 %). Both are
drawn at full strength there; a sparkline's bars still tell the figures by their height.
"""

APP_CSS = """
#summary { height: 2; }
#info { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
Footer { height: 1; }
#footer-space { dock: bottom; height: 1; }
Footer.-compact FooterKey.-command-palette { margin-right: 0; padding-right: 1; }
FooterKey.-command-palette:nocolor { border-left: vkey $foreground 60%; }
Throughput:nocolor #spark-done > .sparkline--min-color { color: $success; }
Throughput:nocolor #spark-failed > .sparkline--min-color { color: $error; }
"""
