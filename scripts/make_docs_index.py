"""Write the generated parts of the docs from the code, so they cannot drift from it (tests/test_docs.py checks):

- docs/{zh,en}/cli.md — the `torchstart train` flag table, from torchstart.config.TRAIN_FLAGS;
- docs/{zh,en}/architecture.md — the layer picture, from the package's import graph (scripts/import_graph.py);
- README.md / README.en.md — the lesson table (the course's index), from the chapter folders: each lesson links its
  chapter's page, src/torchstart/course/NN_name/zh.md (en.md in README.en.md);
- docs/{zh,en}/speedrun.md — the speedrun's measured tables (scripts/docs_speedrun.py).

The chapter pages themselves are made by scripts/make_pages.py.

    python scripts/make_docs_index.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import docs_speedrun  # noqa: E402
import import_graph  # noqa: E402

from torchstart.config import TRAIN_FLAGS, field_path  # noqa: E402
from torchstart.course import Chapter, chapters  # noqa: E402
from torchstart.i18n import in_language  # noqa: E402

LANGS = ("zh", "en")


def flag_table(lang: str) -> str:
    """The train flags as a markdown table: flag (with its argument), the config field it sets, what it does."""
    header = "| 参数 | 配置字段 | 作用 |" if lang == "zh" else "| flag | config field | what it sets |"
    rows = [header, "|---|---|---|"]
    for flag in TRAIN_FLAGS:
        argument = "|".join(flag.choices) if flag.choices else flag.metavar
        usage = f"{flag.name} {argument}" if argument else flag.name
        part, name = field_path(flag.field)
        help_text = in_language(flag.help, lang)
        if flag.on_resume:
            help_text += "（`--resume` 时可以改）" if lang == "zh" else " (may change with `--resume`)"
        usage, help_text = usage.replace("|", "\\|"), help_text.replace("|", "\\|")
        rows.append(f"| `{usage}` | `{name if part is None else f'{part}.{name}'}` | {help_text} |")
    return "\n".join(rows)


def layer_block(lang: str) -> str:
    note = ("由 `python scripts/make_docs_index.py` 根据源码里的 import 生成，从上到下：每一层只导入它下面的层。"
            if lang == "zh" else
            "Generated from the imports in the source by `python scripts/make_docs_index.py`, top layer first: "
            "each layer imports only the layers below it.")
    return f"{note}\n\n```text\n{import_graph.layer_picture(import_graph.graph())}\n```"


# file (relative to docs/<lang>/) → (marker name, the generated text for a language)
BLOCKS = {"cli.md": ("train-flags", flag_table), "architecture.md": ("layers", layer_block),
          "speedrun.md": ("speedrun-results", docs_speedrun.results_block)}


def chapter_link(chapter: Chapter, lang: str) -> str:
    """The chapter's page in `lang`, relative to the checkout (where the READMEs are)."""
    return f"src/torchstart/course/{chapter.folder.name}/{lang}.md"


def readme_lessons(lang: str) -> str:
    """The READMEs' lesson table (number, link to the chapter's page, goal), from the chapter folders."""
    header = "| # | 课 | 学什么 |" if lang == "zh" else "| # | lesson | what you learn |"
    rows = [header, "|---|---|---|"]
    rows += [f"| {chapter.number} | [{chapter.name}]({chapter_link(chapter, lang)}) | {chapter.goal.get(lang)} |"
             for chapter in chapters()]
    return "\n".join(rows)


def replace_block(text: str, marker: str, body: str) -> str:
    """`text` with the lines between `<!-- BEGIN marker… -->` and `<!-- END marker -->` replaced by `body`."""
    pattern = re.compile(rf"(<!-- BEGIN {marker}\b[^\n]*-->\n)(.*?)(<!-- END {marker} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"no <!-- BEGIN {marker} --> … <!-- END {marker} --> block")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text)


def generated(lang: str) -> dict[Path, str]:
    """Every generated file's full text for `lang`, as it should be on disk."""
    docs = ROOT / "docs" / lang
    files = {}
    for name, (marker, render) in BLOCKS.items():
        files[docs / name] = replace_block((docs / name).read_text(encoding="utf-8"), marker, render(lang))
    readme = ROOT / ("README.md" if lang == "zh" else "README.en.md")
    files[readme] = replace_block(readme.read_text(encoding="utf-8"), "lessons", readme_lessons(lang))
    return files


if __name__ == "__main__":
    for lang in LANGS:
        for path, text in generated(lang).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
