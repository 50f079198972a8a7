"""What a learner set once and torchstart remembers: one small JSON file in the user's config folder.

    torchstart config lang zh      →  {"lang": "zh"}          in config.json
    the language hint, once shown  →  {"lang_hint_shown": true}

The folder is platformdirs' user_config_dir("torchstart") (~/.config/torchstart on Linux, ~/Library/Application
Support/torchstart on macOS, %APPDATA%\\torchstart on Windows), or TORCHSTART_CONFIG_DIR when set (tests point it at
a temp folder). A file that is missing, unreadable or not ours reads as "nothing saved": no command fails over it.
Writes are atomic (files.atomic_write): a crash or a full disk leaves the old file or the new one, never half.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import ConfigError, TorchstartError
from ..files import read_json, write_json
from ..i18n import _

ENV_DIR = "TORCHSTART_CONFIG_DIR"
FILE_NAME = "config.json"


def config_path() -> Path:
    """The settings file: TORCHSTART_CONFIG_DIR/config.json, else config.json in the user's config folder."""
    folder = os.environ.get(ENV_DIR)
    if not folder:
        from platformdirs import user_config_dir  # only here: most runs never need it

        folder = user_config_dir("torchstart", appauthor=False)
    return Path(folder) / FILE_NAME


def load() -> dict[str, Any]:
    """The saved settings; {} when there is no file or it cannot be read as ours."""
    try:
        settings = read_json(config_path())
    except (OSError, ValueError):  # missing, no permission, a folder, not UTF-8 JSON
        return {}
    return settings if isinstance(settings, dict) else {}


def save(key: str, value: Any) -> Path:
    """Set `key` to `value` (None: forget it) and write the file; ConfigError when its folder cannot be written."""
    settings = load()
    if value is None:
        settings.pop(key, None)
    else:
        settings[key] = value
    path = config_path()
    try:
        write_json(path, settings)
    except TorchstartError as err:  # read-only home, disk full, a file where the folder should be
        raise ConfigError(err.cause, _("make that folder writable, or point {variable} at one that is; --lang and "
                                       "TORCHSTART_LANG work without saving").format(variable=ENV_DIR)) from None
    return path


def remember_once(key: str) -> bool:
    """True the first time for this user, now remembered; False when it was already, or cannot be, remembered."""
    if load().get(key):
        return False
    try:
        save(key, True)
    except ConfigError:
        return False
    return True


LESSONS_KEY = "lessons_run"  # {"conv": "2026-05-01", …}: the day each lesson last ran to its end


def lessons_run() -> dict[str, str]:
    """The lessons this user has run to the end (name → ISO day); {} when none or the file is not ours."""
    runs = load().get(LESSONS_KEY)
    return {str(k): str(v) for k, v in runs.items()} if isinstance(runs, dict) else {}


def record_lesson(name: str) -> None:
    """Remember that lesson `name` ran today; a folder that cannot be written only means it is not remembered."""
    try:
        save(LESSONS_KEY, {**lessons_run(), name: date.today().isoformat()})
    except ConfigError:
        pass
