"""Which addresses a download may reach, checked on the socket that connects.

Checking the submitted host once is not enough: a redirect, an ``og:video`` or player URL found
in a page, or a resolver that answers a public address first and a private one next (DNS
rebinding) would all lead yt-dlp to an address nobody checked. So the check sits where every
HTTP stack in the process ends up, ``socket.socket.connect``: the address checked is the
address connected to, whatever resolved it. The guard is active only in a thread inside
``guarded()`` (the download runs there, fragments one at a time), so the process's own
connections (Redis, the database) are untouched.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
NAT64 = ipaddress.ip_network("64:ff9b::/96")


REFUSED = "not a public address (vidverify)"


class AddressRefused(OSError):
    """A connection to an address that is not public (raised by the guarded socket)."""


@dataclass(frozen=True)
class AddressRule:
    """Public addresses only, except the networks named (an internal mirror; tests)."""

    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def of(cls, allow_private: bool, networks: Sequence[str]) -> AddressRule:
        return cls(allow_private, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def refuses(self, address: str) -> bool:
        if self.allow_private:
            return False
        try:
            addr = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return True
        if any(addr.version == net.version and addr in net for net in self.allowed_networks):
            return False
        return not all(a.is_global and not a.is_multicast for a in _meanings(addr))


def _meanings(addr: IPAddress) -> list[IPAddress]:
    """The address and the IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo,
    NAT64): ``2002:7f00:1::1`` reaches 127.0.0.1 through a 6to4 relay."""
    found: list[IPAddress] = [addr]
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped:
            found.append(addr.ipv4_mapped)
        if addr.sixtofour:
            found.append(addr.sixtofour)
        if addr.teredo:
            found.extend(addr.teredo)
        if addr in NAT64:
            found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return found


_local = threading.local()
_install_lock = threading.Lock()
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _check(sock: socket.socket, address: Any) -> None:
    rule: AddressRule | None = getattr(_local, "rule", None)
    if rule is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0] if isinstance(address, tuple) else str(address)
    if rule.refuses(str(host)):
        raise AddressRefused(f"refused to connect to {host}: {REFUSED}")


def _connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    return _original_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _original_connect_ex(self, address)


def install() -> None:
    """Route ``socket.socket.connect`` through the check (once per process; a no-op for threads
    outside ``guarded``)."""
    with _install_lock:
        if socket.socket.connect is not _connect:
            socket.socket.connect = _connect  # type: ignore[method-assign]
            socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]


@contextmanager
def guarded(rule: AddressRule) -> Iterator[None]:
    """Connections made by this thread inside the block reach only what ``rule`` allows."""
    install()
    previous = getattr(_local, "rule", None)
    _local.rule = rule
    try:
        yield
    finally:
        _local.rule = previous
