"""`torchstart config lang [zh|en|auto]`: show or save the language torchstart speaks in every later run.

The setting lives in the user's config folder (user_config.py); language.py reads it when torchstart starts.
"""

from __future__ import annotations

import argparse
import os

from ..i18n import ENV_VAR, LANGUAGES, _, language
from .language import LANG_KEY, SOURCES, decided_by, saved_language
from .user_config import config_path, save

AUTO = "auto"  # forget the saved language: TORCHSTART_LANG and the locale decide again


def add_commands(sub) -> None:
    config = sub.add_parser("config", help=_("show or save your settings: the language torchstart speaks"),
                            description=_("Settings kept in your user config folder for every later run "
                                          "(TORCHSTART_CONFIG_DIR names another folder). Without a value: show "
                                          "the setting, what decides it now and where it is saved."))
    config.add_argument("setting", choices=(LANG_KEY,), metavar=LANG_KEY,
                        help=_("lang: the language of what torchstart prints"))
    config.add_argument("value", nargs="?", choices=(*LANGUAGES, AUTO), metavar="zh|en|auto",
                        help=_("zh or en: save it; auto: forget it (TORCHSTART_LANG and the locale decide)"))


def cmd_config(args: argparse.Namespace) -> int:
    path = config_path()
    if args.value is None:
        print(_("language now: {lang}, decided by {source}").format(lang=language(), source=_(SOURCES[decided_by()])))
        print(_("saved in {path}: {saved}").format(path=path, saved=saved_language() or _("nothing")))
        return 0
    save(LANG_KEY, None if args.value == AUTO else args.value)
    if args.value == AUTO:
        print(_("forgot the saved language ({path}): TORCHSTART_LANG and the locale decide again").format(path=path))
    else:
        print(_("saved {lang} in {path}: torchstart speaks it from the next run on").format(lang=args.value, path=path))
        if decided_by() == "env":
            print(_("{variable}={value} is set and comes before the saved language; `unset {variable}` to use "
                    "it").format(variable=ENV_VAR, value=os.environ[ENV_VAR]))
    return 0


COMMANDS = {"config": cmd_config}
