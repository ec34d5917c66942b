"""What every subcommand shares: the resolved config file, database path and read-only switch.

Subcommands get it with `click.get_current_context().find_object(CliContext)` (or the
`pass_cli` decorator) and must not import Textual: only the console command does, lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from inolink_tui.config.model import Settings


@dataclass
class CliContext:
    config_path: Path | None = None
    """--config, or None to use the default location (a missing default file means defaults)."""
    db_override: Path | None = None
    """--db: wins over the config's [store] path."""
    read_only: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        """Load and validate the config once; a bad file ends the process with status 2 and one line."""
        if self._settings is None:
            from inolink_tui.config.load import load_settings_or_exit
            from inolink_tui.config.stamp import remember

            self._settings = load_settings_or_exit(self.config_path)
            remember(self.config_path, self._settings.store.path)
        return self._settings

    def db_path(self) -> Path:
        """--db, else the config's [store] path. The config is validated either way: a broken file
        is reported rather than silently ignored because --db happened to make it unnecessary.

        Validated once per change: when the stamp of an earlier full validation matches the config, the environment
        and the code exactly (`config.stamp`), its store path is used without importing pydantic and the model."""
        if self._settings is None:
            from inolink_tui.config.stamp import stamped_store_path

            stamped = stamped_store_path(self.config_path)
            if stamped is not None:
                return self.db_override if self.db_override is not None else stamped
        settings = self.settings()
        if self.db_override is not None:
            return self.db_override
        return settings.store.path


pass_cli = click.make_pass_decorator(CliContext, ensure=True)
