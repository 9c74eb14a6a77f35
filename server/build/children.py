"""The build's child processes, which end with it: a `kill -9` of the build leaves no process behind.

Two kinds.  A **forked** child (the validator, which shares the parsed graphs without copying them) asks the kernel
to kill it when its parent ends (``PR_SET_PDEATHSIG`` with SIGKILL): it starts nothing of its own, so nothing else
can be left.  A **spawned** child (HermiT: a fresh Python process that starts Java through owlready2) leads a
process group of its own and asks the kernel for SIGTERM when its parent ends; its handler (:func:`end_group_on`)
removes its temporary folder and kills its whole group, itself and Java with it.  Java is started by owlready2 and
cannot be asked to die with its parent, but it stays in its parent's group, so the group is what is killed.  Both
children check, right after asking, that their parent is still the process that started them (it may have died
before they asked) and end at once if not.

Neither uses multiprocessing's pools or locks, so no resource-tracker process is started either.  Input and output
of a spawned child go through unnamed temporary files (``tempfile.TemporaryFile``: no name on disk, freed by the
kernel with the last descriptor), so a killed build leaves no file behind either.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import DataError, RakgError

PR_SET_PDEATHSIG = 1
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the server package


def die_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``signum`` to this process when its parent ends; if the parent is no longer ``parent``
    (it ended before we asked), send ``signum`` to ourselves now.  Linux only; elsewhere nothing happens."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)


def end_group_on(signum: int, cleanup) -> None:
    """On ``signum``, call ``cleanup()`` and then SIGKILL this process's whole group (this process leads it)."""

    def handler(_signum, _frame):
        cleanup()
        os.killpg(0, signal.SIGKILL)

    signal.signal(signum, handler)


class Forked:
    """``function(*args)`` in a forked child that dies with its parent; :meth:`result` waits for it and returns its
    value or raises its exception, :meth:`stop` kills it.  Where fork does not exist, the call runs here, now."""

    def __init__(self, function, *args):
        import multiprocessing

        self.name, self.process = function.__name__, None
        if "fork" not in multiprocessing.get_all_start_methods():
            self.outcome = ("ok", function(*args))
            return
        self.receiver, sender = multiprocessing.Pipe(duplex=False)
        parent = os.getpid()

        def child() -> None:
            die_with_parent(parent)
            try:
                sender.send(("ok", function(*args)))
            except BaseException as error:  # the parent re-raises it
                sender.send(("error", error))

        self.process = multiprocessing.get_context("fork").Process(target=child, daemon=True)
        self.process.start()
        sender.close()

    def result(self):
        """The function's value; raises its exception, or DataError if the child died without answering."""
        if self.process is not None:
            try:
                self.outcome = self.receiver.recv()
            except EOFError:
                self.outcome = ("died", None)
            finally:
                self.receiver.close()
            self.process.join()
        status, value = self.outcome
        if status == "died":
            raise DataError(f"the {self.name} process died (exit code {self.process.exitcode})")
        if status == "error":
            raise value
        return value

    def stop(self) -> None:
        """Kill the child if it still runs (the build failed elsewhere)."""
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join()


class Spawned:
    """``python -m MODULE PARENT-PID`` with ``payload`` on its standard input, in a process group of its own; the
    module's main must call :func:`die_with_parent` with SIGTERM and :func:`end_group_on` SIGTERM."""

    def __init__(self, module: str, payload: bytes):
        self.module = module
        stdin, self.stdout, self.stderr = (tempfile.TemporaryFile() for _ in range(3))
        with stdin:
            stdin.write(payload)
            stdin.seek(0)
            path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
            # -P: the current folder does not come first on the path, so the module is the one of this package
            self.process = subprocess.Popen([sys.executable, "-P", "-m", module, str(os.getpid())], stdin=stdin, stdout=self.stdout,
                                            stderr=self.stderr, start_new_session=True, env={**os.environ, "PYTHONPATH": path})

    def result(self) -> bytes:
        """Wait for the child; return what it wrote.  Raises RakgError, with the end of its error output, if it
        failed."""
        code = self.process.wait()
        with self.stdout, self.stderr:
            self.stdout.seek(0)
            self.stderr.seek(0)
            output, errors = self.stdout.read(), self.stderr.read().decode(errors="replace").strip()
        if code != 0:
            how = f"was killed by signal {-code}" if code < 0 else f"failed (exit code {code})"
            raise RakgError(f"the {self.module} process {how}" + (f": {errors.splitlines()[-1]}" if errors else ""))
        return output

    def stop(self) -> None:
        """Ask the child to end (SIGTERM: it cleans up and kills its group) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        self.stdout.close()
        self.stderr.close()
