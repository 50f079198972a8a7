"""What the local web servers (`board`, `demo`, `docs`) share: a port checked before starting, and waiting for Ctrl-C.

TensorBoard and Gradio each report a taken or impossible port in their own words (Gradio: "Cannot find empty
port in range"; Python: "bind(): port must be 0-65535"). `check_port` binds the address once, up front, so the
learner reads the one cause that applies and the flag that fixes it, before a model or an event file is loaded.
`bind_first_free` (the course site, our own server) moves on to the next port while one is taken.
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable
from typing import TypeVar

from ..errors import ConfigError
from ..i18n import _

Server = TypeVar("Server")


def check_port(host: str, port: int | None, example: int) -> None:
    """Raise ConfigError when `host`:`port` cannot be served from this process; `example` is a port to suggest.

    With `port=None` the server takes the next free port itself, so only the host is checked.
    """
    if port is not None:
        check_range(port, example)
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError):
        raise ConfigError(_("--host {host} is not a name or address of this machine").format(host=host),
                          _("use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every network)")) from None
    if port is None:
        return
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: a closed port is free
        try:
            probe.bind((host, port))
        except OSError as err:
            raise _port_error(host, port, example, err) from None


def check_range(port: int, example: int) -> None:
    """ConfigError in one line when `port` is not a TCP port number."""
    if not 1 <= port <= 65535:
        raise ConfigError(_("--port {port} is not a TCP port").format(port=port),
                          _("use a number from 1 to 65535, e.g. --port {example}, or leave --port out to take the "
                            "next free one").format(example=example))


def bind_first_free(host: str, port: int, example: int, bind: Callable[[int], Server], tries: int = 20) -> Server:
    """`bind(port)`, or `bind(port + 1)`, … while the port is taken: the first of `tries` ports that is free.

    Any other refusal (a port that needs administrator rights, an address not on this machine) is one line, as in
    `check_port`; so is a run of `tries` taken ports.
    """
    check_range(port, example)
    candidate = port
    for candidate in range(port, min(port + tries, 65536)):
        try:
            return bind(candidate)
        except OSError as err:
            if err.errno != errno.EADDRINUSE:
                raise _port_error(host, candidate, example, err) from None
    raise port_in_use(host, candidate, example)


def port_in_use(host: str, port: int, example: int) -> ConfigError:
    """The error for a port another program already serves (also when a server finds it taken after the check)."""
    return ConfigError(_("port {port} on {host} is already in use (another board or demo?)").format(
        port=port, host=host), _("pick another one, e.g. --port {example}, or leave --port out to take the next "
                                 "free one").format(example=example))


def _port_error(host: str, port: int, example: int, err: OSError) -> ConfigError:
    if err.errno == errno.EADDRINUSE:
        return port_in_use(host, port, example)
    if err.errno in (errno.EACCES, errno.EPERM):
        return ConfigError(_("port {port} needs administrator rights on this machine (ports below 1024 do)").format(
            port=port), _("use a port from 1024 up, e.g. --port {example}").format(example=example))
    if err.errno == errno.EADDRNOTAVAIL:
        return ConfigError(_("--host {host} is not an address of this machine").format(host=host),
                           _("use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every network)"))
    return ConfigError(_("cannot open port {port} on {host} ({reason})").format(port=port, host=host,
                                                                              reason=err.strerror or err),
                       _("pick another one, e.g. --port {example}").format(example=example))


def serve_until_interrupted(stopped: str, close: Callable[[], object] | None = None) -> None:
    """Keep the process (and so the server's threads) alive until Ctrl-C; then print `stopped`, the line that says
    which server stopped, and call `close` (on any other way out too)."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print(stopped, flush=True)
    finally:
        if close is not None:
            close()


__all__ = ["bind_first_free", "check_port", "check_range", "port_in_use", "serve_until_interrupted"]
