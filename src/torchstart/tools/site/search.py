"""`torchstart docs --search WORDS`: the site's best pages for WORDS, in the terminal, read from the site's index.

Material's search plugin writes search/search_index.json when it builds the site: one entry per page section
(location, title, text), Chinese already cut into words by jieba and joined with zero-width spaces, and the
separator that splits the text into terms. Here the query is cut the same way (jieba, then that separator), and a
section scores what the browser's search (lunr, BM25) weighs too: a term in its title counts `TITLE_WEIGHT` times
one in its text, repeats count less and less (n / (n + 1)), and each term weighs its rarity (log N/df over the
language's sections: "data" less than "augmentation"); a term also matches the longer words it starts
(conv → convolution), as prefix search does. A chapter's search terms, the line under its title ("关键词：数据增强、
…", from chapter.toml), weigh as its title does — a page's own list of what it is about, as Material weighs a page's
tags above its text. A page's score is its sections' sum (卷积 lists lesson 9, 21, 8, as the browser does), and a
page with every word of the query comes before one with only some ("data augmentation": lesson 6 before lesson 7,
whose title says "data" alone).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from .pages import TERMS_LABEL

TAG = re.compile(r"<[^>]+>")
TITLE_WEIGHT = 10
MAYBE_ZWSP = "\u200b?"  # where jieba may have cut the label: a zero-width space
# a chapter's terms line as the index holds it, its <strong> dropped: "关键词：数据增强、…", "Keywords: …"
LABELS = "|".join(MAYBE_ZWSP.join(map(re.escape, label)) for label in TERMS_LABEL.values())
TERMS_LINE = re.compile(f"^<p>{MAYBE_ZWSP}(?:{LABELS})(.*?)</p>")


@dataclass(frozen=True)
class Hit:
    location: str  # the page, relative to the site: "lessons/09-conv.html", "en/lessons/09-conv.html"
    title: str
    score: float


def read_index(site: Path) -> dict:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))


def query_terms(query: str, separator: re.Pattern) -> list[str]:
    """What a learner typed, cut into words as the index's text was: by jieba, then by the index's separator."""
    import jieba

    from .build import JIEBA_WORDS

    jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict …" on every search
    jieba.load_userdict(str(JIEBA_WORDS))
    return [t.lower() for word in jieba.cut(query) for t in separator.split(word) if t.strip()]


def index_terms(html: str, separator: re.Pattern) -> list[str]:
    """An index entry's title or text as terms (already cut by jieba when the site was built)."""
    return [t.lower() for t in separator.split(unescape(TAG.sub(" ", html))) if t.strip()]


@dataclass(frozen=True)
class Section:
    page: str
    title: tuple[str, ...]
    terms: tuple[str, ...]  # a chapter's search terms: the line under its title
    text: tuple[str, ...]


def _saturate(words: tuple[str, ...], term: str) -> float:
    """n / (n + 1) for n words that start with `term`: the tenth "data" in a section adds little."""
    n = sum(word.startswith(term) for word in words)
    return n / (n + 1)


def _score(section: Section, term: str, rarity: float) -> float:
    """A term in the section's title or terms line counts `TITLE_WEIGHT` times one in its text."""
    heading = TITLE_WEIGHT * (_saturate(section.title, term) + _saturate(section.terms, term))
    return rarity * (heading + _saturate(section.text, term))


def _has(term: str, section: Section) -> bool:
    return any(word.startswith(term) for word in (*section.title, *section.terms, *section.text))


def search(site: Path, query: str, lang: str, limit: int = 5) -> list[Hit]:
    """The `limit` pages of `site` in language `lang` that match `query` best, best first."""
    index = read_index(site)
    separator = re.compile(index["config"]["separator"])
    wanted = query_terms(query, separator)
    sections, titles = [], {}
    for doc in index["docs"]:
        page = doc["location"].split("#", 1)[0]
        if page.startswith("en/") == (lang == "en"):
            titles.setdefault(page, unescape(TAG.sub("", doc["title"])).replace("\u200b", ""))
            terms = TERMS_LINE.match(doc["text"])
            sections.append(Section(page, tuple(index_terms(doc["title"], separator)),
                                    tuple(index_terms(terms[1], separator)) if terms else (),
                                    tuple(index_terms(doc["text"][terms.end() if terms else 0:], separator))))
    scores: dict[str, float] = defaultdict(float)  # page → its sections' scores, summed
    found: dict[str, set[str]] = defaultdict(set)  # page → the query's terms it has
    rarity = {term: math.log(1 + len(sections) / max(1, sum(_has(term, s) for s in sections))) for term in wanted}
    for section in sections:
        scores[section.page] += sum(_score(section, term, rarity[term]) for term in wanted)
        found[section.page] |= {term for term in wanted if _has(term, section)}
    best = sorted((page for page in scores if scores[page] > 0),
                  key=lambda page: (-len(found[page]), -scores[page]))[:limit]
    return [Hit(page, titles[page], round(scores[page], 1)) for page in best]


__all__ = ["Hit", "search"]
