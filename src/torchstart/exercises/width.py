"""How wide text is on a terminal: a Chinese character takes two columns, so tables pad by columns, not characters."""

from __future__ import annotations

import unicodedata


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` columns."""
    return text + " " * max(0, width - columns(text))
