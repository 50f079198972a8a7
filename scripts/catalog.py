"""Keep the Chinese message catalog in step with the code (tests/test_i18n.py checks that it is).

    python scripts/catalog.py update [PART.po|PART.json ...]   new messages in, gone ones out, .mo compiled;
                                        translations in the PART files (.po, or JSON {"English": "中文"}) merged in
    python scripts/catalog.py check                  list messages without a translation (exit 1 if any)

The catalog is src/torchstart/locale/zh/LC_MESSAGES/torchstart.po, sorted by message and without line numbers,
so it changes only when a message or its translation changes. Babel extracts `_()`, `ngettext()` and `N_()`
calls from the package's sources and compiles the .mo file gettext reads at run time.
"""

from __future__ import annotations

import io
import json
import string
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "torchstart"
PO = SRC / "locale" / "zh" / "LC_MESSAGES" / "torchstart.po"
MO = PO.with_suffix(".mo")
FIXED_DATE = datetime(2026, 12, 1, tzinfo=timezone.utc)  # the header stays the same from run to run


def new_catalog() -> Catalog:
    return Catalog(locale="zh_Hans_CN", domain="torchstart", project="torchstart", version=None,
                   creation_date=FIXED_DATE, revision_date=FIXED_DATE, fuzzy=False,
                   language_team="torchstart <https://github.com/torchstart>",
                   last_translator="torchstart")


def extracted() -> Catalog:
    """Every message the code marks, with the files it appears in."""
    template = new_catalog()
    for filename, _lineno, message, comments, _context in extract_from_dir(
            str(SRC), method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS, comment_tags=("TRANSLATORS:",)):
        template.add(message, locations=[(f"src/torchstart/{filename}", None)], auto_comments=comments)
    return template


def read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale="zh_Hans_CN")


def updated(parts: list[Path] = ()) -> Catalog:
    """The catalog the code needs now: the committed translations, plus those in `parts`, for today's messages."""
    template = extracted()
    catalog = new_catalog()
    known = {}
    for source in ([PO] if PO.exists() else []) + list(parts):
        if source.suffix == ".json":  # {"English": "中文", …}: handy for adding many at once (a plural: its singular)
            known.update({k: v for k, v in json.loads(source.read_text(encoding="utf-8")).items() if v})
            continue
        for message in read(source):
            if message.id and message.string and not message.fuzzy:
                known[message.id] = message.string
    for message in template:
        if message.id:
            string = known.get(message.id, "")
            if isinstance(message.id, tuple) and not (string and all(string)):
                string = known.get(message.id[0], "")  # a JSON part names a plural by its singular
            if isinstance(message.id, tuple) and isinstance(string, str):
                string = (string,)  # Chinese has one plural form (nplurals=1)
            catalog.add(message.id, string,
                        locations=message.locations, auto_comments=message.auto_comments, flags=message.flags)
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, sort_output=True, include_lineno=False, ignore_obsolete=True)
    return buffer.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def fields(text: str) -> list[str]:
    """The `{name}` fields and `%s`-style specifiers in a message, sorted: a translation must keep them all."""
    found = []
    try:
        found += [f"{{{name}}}" for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None]
    except ValueError:
        found.append("<unbalanced braces>")
    found += [part for part in text.replace("%%", "").split("%")[1:] if part[:1] in "s(drf"]
    return sorted(f.split(")")[0] if f.startswith("(") else f[:1] if not f.startswith("{") else f for f in found)


def problems(catalog: Catalog) -> list[str]:
    """Untranslated messages, and translations that lost or added a placeholder."""
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            found.append(f"no translation: {ids[0]!r}")
        elif fields(ids[-1]) != fields(strings[-1]):
            found.append(f"placeholders differ: {ids[-1]!r} → {strings[-1]!r}")
    return found


def main(argv: list[str]) -> int:
    command, parts = (argv[0] if argv else "check"), [Path(p) for p in argv[1:]]
    catalog = updated(parts)
    if command == "update":
        PO.parent.mkdir(parents=True, exist_ok=True)
        PO.write_bytes(po_bytes(catalog))
        MO.write_bytes(mo_bytes(catalog))
    found = problems(catalog)
    for line in found:
        print(line)
    print(f"{len(catalog)} messages, {len(found)} problems", file=sys.stderr)
    return 1 if found and command == "check" else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
