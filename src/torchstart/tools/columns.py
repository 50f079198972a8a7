"""Text columns that line up in a terminal when cells hold Chinese: a CJK character takes two columns."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Terminal columns `text` takes: 2 for wide (CJK) characters, 1 for the others."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    """`text` followed by spaces up to `columns` terminal columns (str.ljust counts characters instead)."""
    return text + " " * max(0, columns - width(text))
