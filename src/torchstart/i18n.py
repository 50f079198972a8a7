"""Which language the learner reads, and the message catalogs that hold the Chinese.

Every text a learner reads is written once, in English, inside `_()`; its Chinese lives in the gettext
catalog locale/zh/LC_MESSAGES/torchstart.po (compiled to torchstart.mo, the file gettext reads). Translators'
tools (Poedit, Weblate, `msgfmt`) work on that file; `python scripts/catalog.py update` adds new messages to it,
and a test fails while one has no translation.

The language: `--lang zh|en` (`set_language`), else TORCHSTART_LANG, else the locale — the first of LANGUAGE,
LC_ALL, LC_MESSAGES and LANG that is set (gettext's own order); Chinese when it starts with "zh", else English.

Text made at import time (tables of flags, the lesson registry) is marked with `N_()` so the extractor finds it,
and translated with `_()` where it is shown. JSON keys and file formats stay English.
"""

from __future__ import annotations

import gettext
import os
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

DOMAIN = "torchstart"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("zh", "en")  # en is the text in the code; zh comes from the catalog
ENV_VAR = "TORCHSTART_LANG"
LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # the order gettext reads them in

_chosen: str | None = None  # set by --lang


def normalize(value: str) -> str | None:
    """"zh", "zh_CN.UTF-8", "zh-Hans" → "zh"; "en_US", "C", "POSIX" → "en"; anything else → None."""
    value = value.strip().lower()
    if value.startswith("zh"):
        return "zh"
    if value.startswith("en") or value.split(".")[0] in ("c", "posix"):
        return "en"
    return None


def language_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """The language TORCHSTART_LANG or the locale asks for: "zh" or "en"."""
    override = normalize(environ.get(ENV_VAR, ""))
    if override:
        return override
    for var in LOCALE_VARS:
        value = environ.get(var, "")
        if value:
            # LANGUAGE may be a list ("fr:zh_CN:en"): the first one we have a catalog for wins
            for item in value.split(":"):
                if normalize(item):
                    return normalize(item)
            return "en"
    return "en"


def set_language(lang: str | None) -> None:
    """Choose the language for this process (None: back to TORCHSTART_LANG / the locale)."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {lang!r}")
    global _chosen
    _chosen = lang


def language() -> str:
    """The language text is shown in now: "zh" or "en"."""
    return _chosen or language_from_env()


def split_lang_flag(argv: list[str]) -> tuple[str | None, list[str]]:
    """Take `--lang zh|en` (or `--lang=…`) out of a command line, wherever it is: (language or None, the rest).

    The language must be known before the parser is built, so that `--help` itself is translated.
    Raises ValueError for a language we have no text for.
    """
    lang, rest, args = None, [], iter(argv)
    for arg in args:
        if arg == "--":
            rest += [arg, *args]
            break
        if arg == "--lang" or arg.startswith("--lang="):
            value = arg.partition("=")[2] if "=" in arg else next(args, "")
            if value not in LANGUAGES:
                raise ValueError(_("--lang must be one of {choices}, not {value!r}").format(
                    choices="|".join(LANGUAGES), value=value))
            lang = value
        else:
            rest.append(arg)
    return lang, rest


@cache
def translation(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang`; for English (the text in the code) a pass-through."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """`message` in the learner's language."""
    return translation(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in the learner's language."""
    return translation(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it yet (text made at import time)."""
    return message


def in_language(message: str, lang: str) -> str:
    """`message` in `lang`, whatever the current language (docs, notebooks)."""
    return translation(lang).gettext(message)


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Show text in `lang` inside the block (the docs script renders both languages)."""
    before = _chosen
    set_language(lang)
    try:
        yield
    finally:
        set_language(before)


def columns(text: str) -> int:
    """Terminal columns `text` takes: a Chinese (wide) character takes two, so tables pad by columns, not by
    characters (str.ljust counts characters)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` terminal columns."""
    return text + " " * max(0, width - columns(text))


__all__ = ["LANGUAGES", "N_", "_", "columns", "in_language", "language", "language_from_env", "ngettext", "pad",
           "set_language", "split_lang_flag", "translation", "using"]
