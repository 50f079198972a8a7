"""Build the course site with MkDocs + Material for MkDocs, once per torchstart version, into the cache.

The site is static HTML that works both served and opened from disk: Material's offline plugin (search included,
no server needed) and file URLs that end in .html. Chinese text is cut into words by jieba, which Material's
search plugin uses when it is installed, so 卷积 is a word the search index knows.

A build writes into a temporary folder next to its target and renames it into place when MkDocs has finished
(a rename within one folder is atomic): a build that fails — a full disk, Ctrl-C — leaves no half-built site,
and the next call builds again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from ..._version import __version__
from ...errors import ConfigError, ResourceError, write_refusal
from ...files import KIND_WORDS, kind_of, set_aside
from ...folder_lock import LOCK_FILES, FolderLock
from ...i18n import N_, _
from .pages import LANGUAGES, NAV_TRANSLATIONS, Sources, nav, stage

PACKAGE = Path(__file__).resolve().parents[2]  # the installed torchstart package
BUNDLED = PACKAGE / "site_sources"  # what a wheel carries of the checkout (setup.py copies it in)
ENGINE = {"mkdocs": "mkdocs", "mkdocs-material": "material", "mkdocs-static-i18n": "mkdocs_static_i18n",
          "jieba": "jieba"}  # the [docs] extra: distribution → the module it installs
INSTALL_HINT = 'pip install "torchstart[docs]"'
# Material's recommended separator for Chinese: whitespace, punctuation and the zero-width space jieba's words
# are joined with in the index
SEARCH_SEPARATOR = r'[\s\u200b\-_,:!=\[\]()"`/]+|\.(?!\d)|&[lg]t;|(?!\b)(?=[A-Z][a-z])'
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
# the course's words jieba's own dictionary cuts in two (数据 / 增强): kept whole, so that 数据增强 is one term
# in the index and in a query
JIEBA_WORDS = Path(__file__).resolve().parent / "jieba_words.txt"


@dataclass(frozen=True)
class Site:
    """A built site: `folder` holds index.html; `built` says whether this call built it, `seconds` how long."""

    folder: Path
    built: bool
    seconds: float


def sources() -> Sources:
    """The wheel's copy of the checkout's docs when installed from a wheel, else the checkout itself."""
    root = BUNDLED if BUNDLED.is_dir() else PACKAGE.parents[1]
    return Sources(root=root, package=PACKAGE)


def require_engine() -> None:
    """ConfigError in one line when the [docs] extra is not installed."""
    from importlib.util import find_spec

    missing = [name for name, module in ENGINE.items() if find_spec(module) is None]
    if missing:
        raise ConfigError(_("the course site needs {packages}, which are not installed").format(
            packages=", ".join(missing)), _("install them: {command}").format(command=INSTALL_HINT))


def fingerprint(docs_dir: Path) -> str:
    """`<torchstart version>-<12 hex>`: the version, the engine's versions, the words jieba keeps whole and the staged
    site's every file."""
    digest = hashlib.sha256(" ".join(version(name) for name in ENGINE).encode() + JIEBA_WORDS.read_bytes())
    for path in sorted(p for p in docs_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(docs_dir).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{__version__}-{digest.hexdigest()[:12]}"


def mkdocs_config(docs_dir: Path, site_dir: Path) -> dict:
    """The mkdocs.yml of the site, as data."""
    languages = [{"locale": lang, "name": LANGUAGE_NAMES[lang], "default": lang == LANGUAGES[0], "build": True,
                  **({"nav_translations": NAV_TRANSLATIONS[lang]} if lang in NAV_TRANSLATIONS else {})}
                 for lang in LANGUAGES]
    return {
        "site_name": "torchstart",
        "docs_dir": str(docs_dir),
        "site_dir": str(site_dir),
        "use_directory_urls": False,  # page.html, not page/: links work from disk, without a server
        # font False: the system's fonts, not Google Fonts — a request that is slow or blocked where many learners
        # are, and that an offline site must not make
        "theme": {"name": "material", "language": LANGUAGES[0], "font": False,
                  "features": ["navigation.sections", "navigation.footer", "search.highlight", "content.code.copy"]},
        "markdown_extensions": ["admonition", "tables", "attr_list", "md_in_html", {"toc": {"permalink": True}},
                                "pymdownx.highlight", "pymdownx.superfences", "pymdownx.inlinehilite"],
        "plugins": [{"search": {"separator": SEARCH_SEPARATOR, "jieba_dict_user": str(JIEBA_WORDS)}},
                    {"i18n": {"docs_structure": "suffix", "fallback_to_default": True, "languages": languages}},
                    "offline"],
        "nav": nav(),
        "validation": {"omitted_files": "info", "absolute_links": "warn", "unrecognized_links": "warn",
                       "anchors": "info"},
    }


def build_site(docs_dir: Path, out: Path) -> None:
    """Run MkDocs on the staged `docs_dir` into the folder `out`, strict: a broken link or a missing picture fails."""
    import jieba
    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict …"
    config_file = docs_dir.parent / "mkdocs.yml"
    config_file.write_text(yaml.safe_dump(mkdocs_config(docs_dir, out), allow_unicode=True), encoding="utf-8")
    config = load_config(config_file=str(config_file), strict=True)
    mkdocs_logger = logging.getLogger("mkdocs")
    level = mkdocs_logger.level
    mkdocs_logger.setLevel(logging.WARNING)  # MkDocs says each step at INFO; the learner reads one line from us
    try:
        build(config)
    finally:
        mkdocs_logger.setLevel(level)


def cached_site(cache: Path) -> Site:
    """The site of this version in `cache` (built now, atomically, when it is not there yet)."""
    require_engine()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="torchstart-site-") as work:
        docs_dir = Path(work) / "docs"
        try:
            stage(sources(), docs_dir)
        except OSError as err:
            raise (_refusal(err, Path(work)) or err) from None
        target = cache / fingerprint(docs_dir)
        if (target / "index.html").is_file():
            return Site(target, built=False, seconds=0.0)
        partial = _fresh_temp(cache, target.name)
        try:
            build_site(docs_dir, partial)
            os.replace(partial, target)
        except BaseException as err:
            shutil.rmtree(partial, ignore_errors=True)
            if (target / "index.html").is_file():  # another process built the same site meanwhile
                return Site(target, built=False, seconds=0.0)
            refusal = _refusal(err, cache)
            if refusal is None:
                raise
            raise refusal from None
    _remove_old_sites(cache, keep=target)
    return Site(target, built=True, seconds=time.perf_counter() - start)


def _fresh_temp(cache: Path, name: str) -> Path:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=cache))
    except OSError as err:
        raise (_refusal(err, cache) or err) from None


def _refusal(err: BaseException, where: Path) -> ResourceError | None:
    """A full disk or a read-only cache as one line; None for anything else (a bug to report)."""
    known = write_refusal(err, where)
    if known is None:
        return None
    return ResourceError(_("{error}; no site was left half-built").format(error=known.cause), known.fix)


def write_folder(site: Path, out: Path, force: bool) -> Path | None:
    """Copy the built `site` into the folder `out`; the old `out` kept aside (with `force`) is returned.

    `out` must be missing or empty, or `force` given; one process writes it at a time (FolderLock). A copy the
    disk refuses halfway is removed again, and the refusal is one line.
    """
    kind = kind_of(out, "--build", ConfigError)
    if kind not in ("missing", "dir"):
        shown = KIND_WORDS.get(kind, N_("a file"))
        raise ConfigError(_("--build {path} is {kind}, not a folder").format(path=out, kind=_(shown)),
                          _("name a new folder, e.g. --build course-site"))
    aside = None
    if kind == "dir" and any(entry.name not in LOCK_FILES for entry in out.iterdir()):
        if not force:
            raise ConfigError(_("--build {path} already holds other files").format(path=out),
                              _("name a new or empty folder, or add --force to replace it (the old one is kept aside "
                                "as <name>.old-<time>)"))
        FolderLock(out, flag="--build").acquire().release()  # FolderBusy while another process writes it
        aside = set_aside(out)
    with FolderLock(out, flag="--build"):
        try:
            _copy_tree(site, out)
        except OSError as err:
            for entry in site.iterdir():
                shutil.rmtree(out / entry.name, ignore_errors=True)
                with suppress(OSError):
                    (out / entry.name).unlink()
            raise (_refusal(err, out) or err) from None
    return aside


def _copy_tree(source: Path, out: Path) -> None:
    """shutil.copytree into an existing folder, but the first OSError raised as it is (copytree gathers them all
    into one shutil.Error without an errno, and a full disk would not read as one)."""
    for folder, _dirs, files in os.walk(source):
        target = out / Path(folder).relative_to(source)
        target.mkdir(exist_ok=True)
        for name in files:
            shutil.copyfile(Path(folder) / name, target / name)


def _remove_old_sites(cache: Path, keep: Path) -> None:
    """Sites of other versions, and temporary folders builds that were killed left behind."""
    for folder in cache.iterdir():
        if folder != keep and folder.is_dir() and (folder.name.endswith(".tmp") or (folder / "index.html").exists()):
            if folder.name.endswith(".tmp") and time.time() - folder.stat().st_mtime < 3600:
                continue  # maybe another process building right now
            with suppress(OSError):
                shutil.rmtree(folder)


__all__ = ["INSTALL_HINT", "Site", "build_site", "cached_site", "mkdocs_config", "require_engine", "sources",
           "write_folder"]
