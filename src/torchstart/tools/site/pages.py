"""The site's Markdown, staged for MkDocs: the course's pages, docs/zh, docs/en and the READMEs, links rewritten.

Where each page comes from (paths as in a checkout) and where it lands in the staged docs folder — one name per
page, a suffix per language, as mkdocs-static-i18n reads them (`cli.zh.md` is /cli.html, `cli.en.md` /en/cli.html):

    README.md, README.en.md                     index.zh.md, index.en.md
    src/torchstart/course/09_conv/zh.md, en.md  lessons/09-conv.zh.md, lessons/09-conv.en.md
    src/torchstart/course/09_conv/figures/*     lessons/09-conv/*
    docs/zh/cli.md, docs/en/cli.md              cli.zh.md, cli.en.md
    docs/images/*                               images/*
    any other file a page links to              source/<path>.zh.md: Markdown as a page, code as a code block

A link is rewritten to the staged page it points to, without the language suffix, so that static-i18n sends each
language's page to its own language's copy. The line at the top of each page that links to the other language
(`[English](en.md)`) is dropped: the site's language switch does that, to the same page. Under a chapter's title
goes a line of its search terms (chapter.toml's [search]): visible to readers, and indexed by the site's search, so
that 反向传播 finds every lesson that calls `backward()`, not only the one whose prose says the word.
"""

from __future__ import annotations

import json
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ...course import chapters

LANGUAGES = ("zh", "en")  # the first is the site's default: served at /, the other at /en/
HOME = {"zh": "README.md", "en": "README.en.md"}
GUIDES = ("exercises", "cli", "recipes", "speedrun", "data", "gpu", "tools", "transfer", "share")  # nav order
DEVELOPERS = ("architecture", "development")
PACKAGE_PREFIX = "src/torchstart/"  # a checkout's path of what the installed package holds
LINK = re.compile(r"(\]\()([^)\s]+)(\))")  # [text](target) and ![alt](target)
OTHER_LANGUAGE_LINE = re.compile(r"^\s*>?\s*\[(English|中文)\]\([^)]*\)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
TERMS_LABEL = {"zh": "关键词：", "en": "Keywords:"}
TERMS_JOIN = {"zh": "、", "en": ", "}
CODE_LANGUAGES = {".py": "python", ".sh": "bash", ".toml": "toml", ".json": "json", ".yml": "yaml", ".yaml": "yaml"}


@dataclass(frozen=True)
class Sources:
    """Where the site's sources are: `root` holds README*.md, docs/ and benchmarks/ (a checkout, or the copy a
    wheel carries), `package` the installed torchstart package (the course's pages and figures, the code)."""

    root: Path
    package: Path

    def find(self, path: str) -> Path | None:
        """The file at checkout path `path` ("docs/zh/cli.md", "src/torchstart/config.py"), None if absent."""
        found = (self.package / path[len(PACKAGE_PREFIX):] if path.startswith(PACKAGE_PREFIX) else self.root / path)
        return found if found.is_file() else None


def chapter_pages() -> dict[str, str]:
    """Checkout path → staged name, for each chapter's pages and figures."""
    staged: dict[str, str] = {}
    for chapter in chapters():
        folder = f"{PACKAGE_PREFIX}course/{chapter.folder.name}"
        for lang in LANGUAGES:
            staged[f"{folder}/{lang}.md"] = f"lessons/{chapter.slug}.{lang}.md"
        for figure in sorted((chapter.folder / "figures").glob("*.png")):
            staged[f"{folder}/figures/{figure.name}"] = f"lessons/{chapter.slug}/{figure.name}"
    return staged


def chapter_terms() -> dict[str, str]:
    """Checkout path of each chapter page → the line of the chapter's search terms shown under its title."""
    return {f"{PACKAGE_PREFIX}course/{chapter.folder.name}/{lang}.md":
            f"**{TERMS_LABEL[lang]}** {TERMS_JOIN[lang].join(chapter.search.get(lang))}"
            for chapter in chapters() for lang in LANGUAGES if chapter.search.get(lang)}


def known_pages(sources: Sources) -> dict[str, str]:
    """Checkout path → staged name, for every page in the navigation and every picture."""
    staged = {HOME[lang]: f"index.{lang}.md" for lang in LANGUAGES}
    staged.update(chapter_pages())
    for name in (*GUIDES, *DEVELOPERS):
        staged.update({f"docs/{lang}/{name}.md": f"{name}.{lang}.md" for lang in LANGUAGES})
    for image in sorted((sources.root / "docs" / "images").glob("*")):
        staged[f"docs/images/{image.name}"] = f"images/{image.name}"
    return staged


def nav() -> list:
    """The navigation in course order, in the default language's names (static-i18n translates them)."""
    return [{"首页": "index.md"},
            {"课程": [f"lessons/{chapter.slug}.md" for chapter in chapters()]},
            {"指南": [f"{name}.md" for name in GUIDES]},
            {"开发": [f"{name}.md" for name in DEVELOPERS]}]


NAV_TRANSLATIONS = {"en": {"首页": "Home", "课程": "Lessons", "指南": "Guides", "开发": "Development"}}


@dataclass
class Stager:
    """Writes the staged docs folder `out`; `staged` grows as pages link to files outside the navigation."""

    sources: Sources
    out: Path
    staged: dict[str, str] = field(default_factory=dict)
    queue: list[str] = field(default_factory=list)
    terms: dict[str, str] = field(default_factory=dict)  # chapter page → its search terms' line

    def run(self) -> None:
        self.staged = known_pages(self.sources)
        self.terms = chapter_terms()
        self.queue = [path for path in self.staged if path.endswith(".md")]
        for path, name in self.staged.items():
            if not path.endswith(".md"):
                self._copy(path, name)
        while self.queue:
            path = self.queue.pop(0)
            self._write(self.staged[path], self._page(path))

    def _copy(self, path: str, name: str) -> None:
        source = self.sources.find(path)
        if source is None:
            raise FileNotFoundError(f"the site needs {path}, which this installation does not have")
        (self.out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, self.out / name)

    def _write(self, name: str, text: str) -> None:
        (self.out / name).parent.mkdir(parents=True, exist_ok=True)
        (self.out / name).write_text(text, encoding="utf-8")

    def _page(self, path: str) -> str:
        """The page at checkout path `path`, its links pointing at staged names."""
        source = self.sources.find(path)
        if source is None:
            raise FileNotFoundError(f"the site needs {path}, which this installation does not have")
        lines, fenced, title = [], False, None
        for line in source.read_text(encoding="utf-8").splitlines():
            if FENCE.match(line):
                fenced = not fenced
            if not fenced and OTHER_LANGUAGE_LINE.match(line):
                continue
            lines.append(line if fenced else LINK.sub(lambda m: self._link(m, path), line))
            if not fenced and title is None and line.startswith("# "):
                title = line[2:].strip()
                if path in self.terms:
                    lines += ["", self.terms[path]]
        # the title MkDocs would take from the file name when the first line is not the heading (a chapter page
        # starts with a comment and the course's facts)
        front = f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n---\n\n" if title else ""
        return front + "\n".join(lines) + "\n"

    def _link(self, match: re.Match, page: str) -> str:
        target = match[2]
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):  # a URL, an anchor on the same page, a site path
            return match[0]
        file, _, anchor = target.partition("#")
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page), file))
        name = self.staged.get(path) or self._stage_linked(path)
        if name is None:
            return match[0]  # MkDocs reports it (the build is strict)
        relative = posixpath.relpath(unsuffixed(name), posixpath.dirname(self.staged[page]))
        return f"{match[1]}{relative}{'#' + anchor if anchor else ''}{match[3]}"

    def _stage_linked(self, path: str) -> str | None:
        """Stage a file a page links to that is not in the navigation; its staged name, None when absent."""
        source = self.sources.find(path)
        if source is None:
            return None
        name = f"source/{path.removeprefix('src/')}"
        if path.endswith(".md"):
            self.staged[path] = name.removesuffix(".md") + ".zh.md"
            self.queue.append(path)
        elif source.suffix in CODE_LANGUAGES or source.suffix in (".txt", ""):
            self.staged[path] = name + ".zh.md"
            self._write(self.staged[path], code_page(path, source.read_text(encoding="utf-8")))
        else:
            self.staged[path] = name
            self._copy(path, name)
        return self.staged[path]


def unsuffixed(name: str) -> str:
    """"cli.zh.md" → "cli.md": the name a link uses, so each language's page finds its own copy."""
    for lang in LANGUAGES:
        if name.endswith(f".{lang}.md"):
            return name[: -len(f".{lang}.md")] + ".md"
    return name


def code_page(path: str, text: str) -> str:
    """A source file as a page: its path as the title, its text as one code block; left out of the search."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    language = CODE_LANGUAGES.get(Path(path).suffix, "text")
    return f"---\nsearch:\n  exclude: true\n---\n\n# {path}\n\n{fence}{language}\n{text.rstrip()}\n{fence}\n"


def stage(sources: Sources, out: Path) -> None:
    """Write the site's Markdown and pictures into the folder `out` (MkDocs' docs_dir)."""
    Stager(sources, out).run()


__all__ = ["LANGUAGES", "NAV_TRANSLATIONS", "Sources", "nav", "stage"]
