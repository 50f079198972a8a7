"""`torchstart docs`: the course as a local website, a folder, or search results in the terminal.

The site is built by MkDocs (the [docs] extra) from what the package holds, once per version, into the cache;
its code is in torchstart/tools/site/. `add_commands(sub)` adds the parser; `cmd_docs` imports the tool when it
runs, so `torchstart --help` imports no MkDocs.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..i18n import _


def add_commands(sub) -> None:
    docs = sub.add_parser("docs", help=_("read the course as a website on this machine (offline, with search)"),
                          description=_("Build the course site once per torchstart version (lessons with their "
                                        "outputs and figures, every guide, in Chinese and English), serve it on "
                                        "127.0.0.1 and open the page asked for. --lang picks the language."))
    docs.add_argument("lesson", nargs="?", metavar="NAME|NUMBER",
                      help=_("the lesson to open, e.g. conv, 9 or 卷积 (default: the home page)"))
    docs.add_argument("--port", type=int, help=_("default: 8008, or the next free port after it"))
    docs.add_argument("--no-browser", action="store_true", help=_("print the address, open no browser"))
    docs.add_argument("--build", type=Path, metavar="DIR",
                      help=_("write the site into a new folder that works from disk (DIR/index.html), and exit"))
    docs.add_argument("--force", action="store_true",
                      help=_("with --build: replace a folder that holds other files (the old one is kept aside)"))
    docs.add_argument("--search", metavar="WORDS", help=_("print the pages that match WORDS best, and exit"))


def cmd_docs(args: argparse.Namespace) -> int:
    from ..course import find_chapter
    from ..data.cifar10 import cache_dir
    from ..i18n import language
    from ..tools.serving import check_range
    from ..tools.site.build import cached_site, require_engine, write_folder
    from ..tools.site.serve import DEFAULT_PORT

    chapter = find_chapter(args.lesson) if args.lesson else None
    if args.port is not None:  # before a build that may take seconds
        check_range(args.port, example=DEFAULT_PORT)
    require_engine()
    site = cached_site(cache_dir() / "site")
    if site.built:
        print(_("built the course site in {seconds:.1f} s: {path}").format(seconds=site.seconds, path=site.folder))
    if args.search is not None:
        return _print_search(site.folder, args.search, language())
    if args.build is not None:
        aside = write_folder(site.folder, args.build, force=args.force)
        if aside is not None:
            print(_("the old folder is kept as {path}").format(path=aside))
        print(_("wrote the course site to {path}: open {index} in a browser, no server needed").format(
            path=args.build, index=args.build / "index.html"))  # not text
        return 0
    return _serve(site.folder, chapter, args)


def _print_search(site: Path, words: str, lang: str) -> int:
    from ..course import chapters
    from ..tools.site.search import search

    # Chinese words are looked for in the Chinese pages, whatever language torchstart speaks
    hits = search(site, words, "zh" if re.search(r"[\u4e00-\u9fff]", words) else lang)
    if not hits:
        print(_("no page of the course site mentions {words}").format(words=words))
        return 1
    lessons = {f"lessons/{c.slug}.html": c.number for c in chapters()}
    print(_("pages about {words}, best first:").format(words=words))
    for rank, hit in enumerate(hits, 1):
        number = lessons.get(hit.location.removeprefix("en/"))
        where = f"torchstart docs {number}" if number else str(site / hit.location)
        print(f"{rank}. {hit.title} — {where}")
    return 0


def _serve(site: Path, chapter, args: argparse.Namespace) -> int:
    import webbrowser

    from ..i18n import language
    from ..tools.serving import serve_until_interrupted
    from ..tools.site.serve import page_of, start_server

    server = start_server(site, args.port)
    port = server.server_address[1]
    if args.port is not None and port != args.port:
        print(_("port {port} is taken; using {free} instead").format(port=args.port, free=port))
    url = f"http://127.0.0.1:{port}/{page_of(chapter, language())}"
    print(_("the course site is at {url} — Ctrl-C stops it").format(url=url), flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    serve_until_interrupted(_("the course site stopped"), close=server.shutdown)
    return 0


COMMANDS = {"docs": cmd_docs}
