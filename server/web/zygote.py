"""Query workers forked from one process that holds the store: one copy of the data, however many workers run.

The serving process opens the store and, before it starts a thread, forks the **zygote**.  The zygote walls itself
in (server/web/sandbox.py: a network namespace of its own, inherited by everything it forks) and waits on a control
socket.  For each worker the serving process asks for, the zygote forks a child that shares every page of the
store with the zygote and the serving process until one of them writes to it (copy-on-write): a worker costs the
memory its queries use, not another copy of the data, and starts in milliseconds instead of reloading the store.
An on-disk store is opened again by the zygote (its pages are shared through the page cache), and so is an
external one.

Workers run in the kernel's idle scheduling class (SCHED_IDLE, and nice 10 where that class is missing): they get a
core whenever the serving process does not want it, and give it back at once when it does, so that a query that
burns a core for its whole time limit does not slow the server's own request handling (answers from the cache,
queries known to be cheap).  The zygote reaps its children and reports how each ended (a signal: which), so that the
request whose worker died is answered with the right reason.  Every process of the tree dies with its parent
(PR_SET_PDEATHSIG): nothing outlives the server.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import queue
import selectors
import signal
import socket
import stat
import threading
from multiprocessing.connection import Connection

from . import sandbox

WORKER_NICE = 10
PR_SET_PDEATHSIG = 1
log = logging.getLogger(__name__)


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``signum`` to this process when its parent ends (Linux; elsewhere nothing happens)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)
    except (OSError, AttributeError):
        pass


def _close_inherited_sockets(keep: set[int]) -> None:
    """Close the sockets a forked process inherited (the listening socket, client connections): it must not keep
    them open after the serving process closes them."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in keep:
            continue
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
        except OSError:
            pass


class Zygote:
    """The serving process's handle on the zygote: :meth:`spawn` a worker, learn how one ended, :meth:`close`.

    ``serve(connection, store)`` is the job loop each worker runs (executor._serve_jobs); ``store`` is the open
    store to share, or None when the zygote opens its own with ``open_store()``.  ``isolate``: wall the zygote in.

    Raises OSError (IsolationUnavailable) when the zygote cannot be walled in, RuntimeError when it fails to start.
    """

    def __init__(self, serve, store, open_store, isolate: bool):
        control, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:  # the zygote
            control.close()
            code = 1
            try:
                _zygote(child_end, serve, store, open_store, isolate)
                code = 0
            except BaseException:  # noqa: BLE001 - report and leave: never return into the serving process's code
                log.exception("the query workers' zygote failed")
            finally:
                os._exit(code)
        child_end.close()
        self.pid, self.control = pid, control
        self.workers: queue.Queue = queue.Queue()
        self.exits: dict[int, int] = {}
        self.ended = threading.Condition()
        status = _receive(control)
        if status is None or status[0] != "ready":
            os.waitpid(pid, 0)
            if status and status[0] == "unwalled":
                raise sandbox.IsolationUnavailable(1, status[1])
            raise RuntimeError(f"the query workers' zygote did not start: {status[1] if status else 'it exited'}")
        threading.Thread(target=self._read, name="rakg-zygote-reader", daemon=True).start()

    def spawn(self, timeout: float = 30.0) -> tuple[int, Connection]:
        """Fork a worker; returns its pid and the connection to it.  Raises RuntimeError when none comes."""
        self.control.send(b"spawn")
        try:
            return self.workers.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"the zygote forked no worker within {timeout:g} s") from None

    def exit_code(self, pid: int, timeout: float = 5.0) -> int | None:
        """How worker ``pid`` ended (negative: the signal that killed it), once the zygote has reaped it."""
        with self.ended:
            self.ended.wait_for(lambda: pid in self.exits, timeout)
            return self.exits.pop(pid, None)

    def close(self) -> None:
        """End the zygote, which kills its workers first."""
        try:
            self.control.shutdown(socket.SHUT_RDWR)  # the zygote sees the end even while our reader thread waits on it
            self.control.close()
        except OSError:
            pass
        finally:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass

    def _read(self) -> None:
        while (message := _receive(self.control, with_fd=True)) is not None:
            (kind, pid, *rest), fd = message
            if kind == "worker":
                self.workers.put((pid, Connection(fd)))
            elif kind == "exit":
                with self.ended:
                    self.exits[pid] = rest[0]
                    self.ended.notify_all()


def _receive(sock: socket.socket, with_fd: bool = False):
    """One message (and the descriptor sent with it, when ``with_fd``) from a SEQPACKET socket; None at its end."""
    try:
        data, fds, _, _ = socket.recv_fds(sock, 65536, 1)
    except OSError:
        return None
    if not data:
        return None
    message = pickle.loads(data)
    return (message, fds[0] if fds else None) if with_fd else message


def _send(sock: socket.socket, message: tuple, fd: int | None = None) -> None:
    socket.send_fds(sock, [pickle.dumps(message)], [fd] if fd is not None else [])


def _zygote(control: socket.socket, serve, store, open_store, isolate: bool) -> None:
    die_with_parent()
    _close_inherited_sockets({control.fileno()})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C reaches the whole group; the serving process decides
    if isolate:
        try:
            sandbox.isolate_network()
        except OSError as error:
            _send(control, ("unwalled", str(error)))
            return
    if store is None:
        store = open_store()
    _send(control, ("ready",))
    children: set[int] = set()
    with selectors.DefaultSelector() as selector:
        selector.register(control, selectors.EVENT_READ)
        while True:
            ready = selector.select(timeout=0.05)
            _reap(control, children)
            if not ready:
                continue
            request = control.recv(64)
            if not request:  # the serving process closed us: end every worker, then ourselves
                for pid in children:
                    os.kill(pid, signal.SIGKILL)
                for pid in children:
                    os.waitpid(pid, 0)
                return
            children.add(_fork_worker(control, serve, store))


def _fork_worker(control: socket.socket, serve, store) -> int:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # a worker
        code = 1
        try:
            control.close()
            ours.close()
            die_with_parent()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            os.nice(WORKER_NICE)
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            serve(Connection(theirs.detach()), store)
            code = 0
        finally:
            os._exit(code)
    theirs.close()
    _send(control, ("worker", pid), ours.fileno())
    ours.close()
    return pid


def _reap(control: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        _send(control, ("exit", pid, os.waitstatus_to_exitcode(status)))
