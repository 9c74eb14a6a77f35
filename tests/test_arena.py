"""server/web/arena.py: the serving loop and the query workers run the engine on a thread of their own (a malloc arena
of their own), and the main thread that waits for them still takes signals and sees their failures."""

from __future__ import annotations

import os
import signal
import socket
import threading
from multiprocessing.connection import Connection

import pytest

from server.errors import QueryError
from server.web import executor
from server.web.arena import run_on_own_thread
from server.web.jobs import Wall


def test_the_function_runs_on_another_thread_and_the_caller_waits_for_it():
    seen = []
    run_on_own_thread(lambda: seen.append(threading.current_thread()), "test-arena")
    assert len(seen) == 1
    assert seen[0] is not threading.current_thread()
    assert seen[0].name == "test-arena"
    assert not seen[0].is_alive()


def test_what_the_function_raises_is_raised_to_the_caller():
    def fail():
        raise QueryError("bad query", where="query")

    with pytest.raises(QueryError, match="bad query"):
        run_on_own_thread(fail, "test-arena")


def test_a_signal_during_the_wait_runs_its_handler_and_the_wait_goes_on():
    handled, release = [], threading.Event()

    def handler(signum, frame):
        handled.append(signum)
        release.set()

    def work():
        os.kill(os.getpid(), signal.SIGUSR1)  # the main thread runs the handler while it waits for this one
        assert release.wait(5), "the handler did not run while the main thread waited"

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        run_on_own_thread(work, "test-arena")
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert handled == [signal.SIGUSR1]


def test_a_query_worker_answers_its_jobs_off_its_main_thread(monkeypatch):
    threads = []

    def execute(store, job, wall, relay):
        threads.append(threading.current_thread())
        return f"answer to {job}"

    monkeypatch.setattr(executor, "execute", execute)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pool_end = Connection(ours.detach())
    pool_end.send("job 1")
    pool_end.send("job 2")
    worker = threading.Thread(target=lambda: executor._serve_jobs(Connection(theirs.detach()), None, Wall(), None, 0))
    worker.start()
    assert pool_end.recv() == ("ok", "answer to job 1")
    assert pool_end.recv() == ("ok", "answer to job 2")
    pool_end.close()  # the worker's loop ends when the pool closes its end
    worker.join(5)
    assert not worker.is_alive()
    assert len(threads) == 2 and threads[0] is threads[1]
    assert threads[0] is not worker and threads[0].name == "rakg-worker"
