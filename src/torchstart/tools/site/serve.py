"""The built site on http://127.0.0.1:PORT (Python's own HTTP server, in a thread), and its pages' addresses."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ...course import Chapter
from ..serving import bind_first_free
from .pages import LANGUAGES

HOST = "127.0.0.1"  # this machine only
DEFAULT_PORT = 8008


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site's files without a log line per request in the learner's terminal."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def page_of(chapter: Chapter | None, lang: str) -> str:
    """The site path of a lesson's page (the home page for None) in language `lang`: en/lessons/09-conv.html."""
    prefix = "" if lang == LANGUAGES[0] else f"{lang}/"
    return prefix + (f"lessons/{chapter.slug}.html" if chapter else "index.html")


def start_server(site: Path, port: int | None) -> ThreadingHTTPServer:
    """Serve the folder `site` from `port` (default DEFAULT_PORT), or the next free port after it, until exit."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = bind_first_free(HOST, DEFAULT_PORT if port is None else port, example=DEFAULT_PORT + 1,
                             bind=lambda free: ThreadingHTTPServer((HOST, free), handler))
    threading.Thread(target=server.serve_forever, name="torchstart-docs", daemon=True).start()
    return server


__all__ = ["DEFAULT_PORT", "HOST", "page_of", "start_server"]
