"""Running the engine on a thread of its own, so that it allocates from a malloc arena of its own.

glibc gives each thread its own malloc arena (up to eight per core); the main thread has the main arena.  In the
serving process and in a query worker, the main arena holds what loading the app allocated and freed, and its
pages are shared with the forked zygote (or, in a worker, with the zygote it was forked from): each allocation there
may write to a shared page and so copy it.  Measured in one process over the same store and query
(``asean-members-on-dates``, median of repeated runs): 1.21 ms on the main thread against 0.93 on another;
in a forked child 2.36 against 0.93 ms, and at 1 M triples 13.6 against 4.0 ms.  With ``MALLOC_ARENA_MAX=1`` (one
arena for all threads) the difference is gone, so it is the arena, not the thread.
"""

from __future__ import annotations

import threading


class _Thread(threading.Thread):
    def __init__(self, function, name: str) -> None:
        super().__init__(name=name)
        self.function, self.error = function, None

    def run(self) -> None:
        try:
            self.function()
        except BaseException as error:  # noqa: BLE001 - raised again by the waiting thread
            self.error = error


def run_on_own_thread(function, name: str) -> None:
    """Call ``function()`` on a new thread and wait for it to end; raises what it raised.  A signal that arrives
    meanwhile runs its handler in the waiting (main) thread, and the wait goes on."""
    thread = _Thread(function, name)
    thread.start()
    thread.join()
    if thread.error is not None:
        raise thread.error
