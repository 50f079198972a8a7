"""The learner's language when torchstart starts: which one, and whether this terminal can show it.

First that applies: `--lang`, TORCHSTART_LANG, the language saved with `torchstart config lang`, the locale
(i18n.language_from_env). A choice made by the flag, the saved setting or the fallback below is exported in
TORCHSTART_LANG, so lessons and checks, which run in child processes, speak the same language and never repeat
a notice.

Two lines a learner may read on stderr before the command runs:
- the fallback: Chinese is asked for but stdout or stderr cannot encode it (PYTHONIOENCODING=ascii, a Latin-1
  locale), which would print escapes like \\u4e0d; English instead, and one line in English that says why. Such a
  stream writes the English text's few other non-ASCII signs the ASCII way (— as -, → as ->), not as escapes;
- the hint: on a C or POSIX locale (Docker, WSL, many servers) English is only the default, not anyone's choice;
  once per user, one line in English and one in Chinese say how to switch.
"""

from __future__ import annotations

import codecs
import os
import sys
import unicodedata
from collections.abc import Mapping

from ..i18n import (
    ENV_VAR,
    LANGUAGES,
    LOCALE_VARS,
    N_,
    _,
    in_language,
    language_from_env,
    normalize,
    set_language,
    split_lang_flag,
)
from .user_config import load, remember_once

LANG_KEY = "lang"  # config.json: the language saved with `torchstart config lang`
HINT_KEY = "lang_hint_shown"  # config.json: the hint below was shown to this user
CHINESE_SAMPLE = "中文"  # what a terminal must encode to show the Chinese text

# What decided the language (`torchstart config lang` shows it).
SOURCES = {"flag": N_("the --lang flag"), "env": N_("the variable TORCHSTART_LANG"),
           "saved": N_("the setting saved with `torchstart config lang`"), "locale": N_("the system locale"),
           "fallback": N_("this terminal, which cannot show Chinese")}
FALLBACK_NOTICE = N_("torchstart: this terminal cannot show Chinese (its encoding is {encoding}), so torchstart "
                     "speaks English — fix: use a UTF-8 locale (export LANG=C.UTF-8) or PYTHONIOENCODING=utf-8")
HINT = N_("torchstart speaks Chinese too: add --lang zh, set TORCHSTART_LANG=zh, or save it with "
          "`torchstart config lang zh` (shown once)")

# How the signs in the English text are written where a terminal cannot encode them (ASCII, Latin-1); anything
# else an accent-free letter (é → e) or, last, an escape (a file name's undecodable byte stays visible).
ASCII_SPELLING = {"—": "-", "–": "-", "−": "-", "×": "x", "…": "...", "·": "-", "→": "->", "←": "<-", "“": '"',
                  "”": '"', "‘": "'", "’": "'", "≥": ">=", "≤": "<=", "✓": "ok", "✗": "x", "λ": "lambda",
                  "Σ": "sum", "√": "sqrt", "⌊": "floor(", "⌋": ")"}
ASCII_ERRORS = "torchstart-ascii"  # the codec error handler that writes them so

_source = "locale"  # what decided the language of this process, set by choose_language


def saved_language() -> str | None:
    """The language saved with `torchstart config lang`, or None."""
    saved = load().get(LANG_KEY)
    return saved if saved in LANGUAGES else None


def language_and_source(flag: str | None, environ: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """(the language, what decided it: a key of SOURCES), before the terminal has its say."""
    if flag:
        return flag, "flag"
    if normalize(environ.get(ENV_VAR, "")):
        return language_from_env(environ), "env"
    saved = saved_language()
    return (saved, "saved") if saved else (language_from_env(environ), "locale")


def decided_by() -> str:
    """What decided the language of this process: a key of SOURCES."""
    return _source


def unshowable_encoding(streams) -> str | None:
    """The encoding of the first stream that cannot show Chinese (e.g. "ascii"); None when all can."""
    for stream in streams:
        encoding = getattr(stream, "encoding", None)
        if not encoding:  # not a real stream (a test's StringIO): it holds str, any text
            continue
        try:
            CHINESE_SAMPLE.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return encoding
    return None


def _spell_in_ascii(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the characters a stream cannot encode, written with ASCII (see ASCII_SPELLING)."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    spelled = []
    for char in err.object[err.start:err.end]:
        plain = ASCII_SPELLING.get(char) or unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        spelled.append(plain or char.encode("ascii", "backslashreplace").decode())
    return "".join(spelled), err.end


def plain_locale(environ: Mapping[str, str] = os.environ) -> bool:
    """True when no locale is set or it is C / POSIX (C.UTF-8 too): English by default, not by choice."""
    for var in LOCALE_VARS:
        if environ.get(var):
            return environ[var].split(".")[0].upper() in ("C", "POSIX")
    return True


def choose_language(argv: list[str]) -> list[str]:
    """Take --lang out of `argv`, decide the language of this process, say so where needed; the rest of `argv`.

    Raises ValueError for a --lang value we have no text for.
    """
    global _source
    flag, argv = split_lang_flag(argv)
    lang, _source = language_and_source(flag)
    encoding = unshowable_encoding((sys.stdout, sys.stderr))
    if encoding:
        codecs.register_error(ASCII_ERRORS, _spell_in_ascii)
        for stream in (sys.stdout, sys.stderr):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors=ASCII_ERRORS)
        if lang == "zh":
            lang, _source = "en", "fallback"
    if _source in ("flag", "saved", "fallback"):
        set_language(lang)
        os.environ[ENV_VAR] = lang
    if _source == "fallback":
        print(_(FALLBACK_NOTICE).format(encoding=encoding), file=sys.stderr)
    elif _source == "locale" and plain_locale():
        _hint_once(argv, chinese=encoding is None)
    return argv


def _hint_once(argv: list[str], chinese: bool) -> None:
    """The hint that Chinese exists, once per user: English, then Chinese where the terminal can show it."""
    # Only when a person reads this run: stderr is a terminal and no program takes the output (--json). A line that
    # appears on the first run only would make captured stderr differ between runs (tests, CI logs, scripts), and
    # spending the one showing on a log file would hide the hint for good. Remembered before it is shown: a config
    # folder that cannot be written skips the hint rather than repeating it on every command.
    if "--json" in argv or not sys.stderr.isatty() or not remember_once(HINT_KEY):
        return
    for lang in ("en", "zh") if chinese else ("en",):
        print(in_language(HINT, lang), file=sys.stderr)
