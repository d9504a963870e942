"""The sockets `hoststand serve` listens on: bound before anything starts, refused in words.

Left to itself, Uvicorn binds only once the application has started (migrations applied, the
hub and its log poll running), and a port in use then ends the process with Uvicorn's own
error and exit status 3. Bound first, a busy port or a foreign address is refused before
anything runs, with a line naming the setting to change.
"""

from __future__ import annotations

import errno
import logging
import socket

import uvicorn

# Uvicorn's logger: the "running on" line stays where operators and log searches expect it.
log = logging.getLogger("uvicorn.error")


class CannotListen(Exception):
    """The address cannot be bound; the message names the setting to change."""


def bind(host: str, port: int, *, host_setting: str, port_setting: str) -> list[socket.socket]:
    """Bind every address `host` resolves to, as Uvicorn's own (asyncio's) create_server does.

    `host_setting` and `port_setting` name where the values came from (a variable or an
    option), for the message of CannotListen.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotListen(
            f"cannot listen on {host}: the name does not resolve ({exc.strerror}): "
            f"set {host_setting} to an address of this machine"
        ) from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:
                continue  # a family this kernel lacks (IPv6 turned off), as create_server skips
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # As create_server: IPv6 only, the IPv4 addresses get sockets of their own.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise CannotListen(_refusal(exc, host, port, host_setting, port_setting)) from None
    if not sockets:
        raise CannotListen(
            f"cannot listen on {host}: this machine lacks its address family: "
            f"set {host_setting} to an IPv4 address"
        )
    return sockets


def _refusal(exc: OSError, host: str, port: int, host_setting: str, port_setting: str) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is in use: set {port_setting} to a free port, "
            "or stop the process that listens there"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {host}: no network interface of this machine has that address: "
            f"set {host_setting} to one of its addresses (0.0.0.0: all of them)"
        )
    if exc.errno == errno.EACCES:
        return (
            f"cannot listen on port {port} of {host}: permission denied (ports below 1024 "
            f"need privileges): set {port_setting} to 1024 or above"
        )
    return (
        f"cannot listen on port {port} of {host}: {exc.strerror}: "
        f"check {host_setting} and {port_setting}"
    )


class Server(uvicorn.Server):
    """Uvicorn's server on sockets bound beforehand (`bind`), saying where once it is up."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config)
        self.sockets = sockets

    def serve_forever(self) -> None:
        """Serve until a signal stops the server (blocking)."""
        self.run(sockets=self.sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as Uvicorn does; it leaves the "running on" line to whoever bound the sockets."""
        await super().startup(sockets=sockets)
        if self.started:
            for sock in sockets or ():
                log.info("Uvicorn running on %s (Press CTRL+C to quit)", _url(sock))


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if sock.family == socket.AF_INET6 else f"http://{host}:{port}"
