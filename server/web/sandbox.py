"""The wall around the query workers: a network of their own, with nowhere to go but this server's federation proxy.

The SERVICE allow-list (server/syntax.py) reads each query with a parser; this module makes a mistake there harmless.
A query worker moves itself, before it opens the store, into a new Linux network namespace that holds only a
loopback interface: no route leads out of it, and nothing of the host's loopback (this server, other services on
127.0.0.1) is in it.  When federation is switched on, the worker also runs a relay on its own loopback that passes
each connection, byte for byte, to the federation proxy's Unix socket (a file, which namespaces do not separate);
the proxy (server/web/federation.py) answers only ``/federation/<n>`` and calls only the allow-listed endpoints.  So the
engine can reach the allow-list and nothing else, whatever a query says.

A process needs no privilege for this where the kernel allows unprivileged user namespaces (Debian and most
distributions do); as root it needs no user namespace.  The setting ``network_isolation`` says what to do where the
kernel refuses: ``required`` (the default) stops the server from starting, ``off`` runs the workers on the host's
network with the parser's check alone.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import selectors
import socket
import struct
import threading

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
MODES = ("required", "off")
RELAY_CHUNK = 65536


class IsolationUnavailable(OSError):
    """The kernel refused a new network namespace."""


def isolate_network() -> None:
    """Move this process (which must have a single thread) into a new network namespace whose only interface,
    loopback, is up.

    Raises IsolationUnavailable when the kernel refuses (no user namespaces for unprivileged users, seccomp...).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    flags = CLONE_NEWNET if os.geteuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    if libc.unshare(flags) != 0:
        code = ctypes.get_errno()
        raise IsolationUnavailable(code, f"cannot create a network namespace for the query workers: {os.strerror(code)} "
                                   "(set network_isolation = \"off\" to run them on the host's network)")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags_now = struct.unpack("16sH14x", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags_now | IFF_UP))


def start_relay(unix_path: str) -> int:
    """Listen on 127.0.0.1 (of this process's namespace) and pass every connection to the Unix socket
    ``unix_path``; returns the port.  The relay runs in daemon threads for the life of the process.

    >>> import tempfile, os.path
    >>> path = os.path.join(tempfile.mkdtemp(), "echo.sock")
    >>> server = socket.socket(socket.AF_UNIX); server.bind(path); server.listen()
    >>> port = start_relay(path)
    >>> client = socket.create_connection(("127.0.0.1", port)); client.sendall(b"ping")
    >>> peer, _ = server.accept(); peer.recv(4)
    b'ping'
    >>> peer.sendall(b"pong"); client.recv(4)
    b'pong'
    >>> for end in (client, peer, server): end.close()
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    threading.Thread(target=_accept, args=(listener, unix_path), name="rakg-relay", daemon=True).start()
    return listener.getsockname()[1]


def _accept(listener: socket.socket, unix_path: str) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_relay, args=(client, unix_path), name="rakg-relay-connection", daemon=True).start()


def _relay(client: socket.socket, unix_path: str) -> None:
    """Pass bytes both ways between ``client`` and a new connection to ``unix_path`` until both sides have ended."""
    with client, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as upstream, selectors.DefaultSelector() as selector:
        try:
            upstream.connect(unix_path)
        except OSError:
            return
        peers = {client: upstream, upstream: client}
        for end in peers:
            selector.register(end, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select():
                try:
                    chunk = key.fileobj.recv(RELAY_CHUNK)
                    if chunk:
                        peers[key.fileobj].sendall(chunk)
                        continue
                    peers[key.fileobj].shutdown(socket.SHUT_WR)
                except OSError:  # a side reset or went away: end the relay
                    return
                selector.unregister(key.fileobj)
