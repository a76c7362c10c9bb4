"""The group commit's leader/follower protocol, without a store: batches, the bounded wait, answers after commit."""

from __future__ import annotations

import threading
import time

import pytest

from application.group_commit import GroupCommit, Ticket


class Recorder:
    """A commit function that takes ``seconds`` and remembers every batch (the items, in order)."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.batches: list[list[int]] = []
        self.committed: set[int] = set()
        self.lock = threading.Lock()

    def __call__(self, tickets: list[Ticket[int]]) -> None:
        time.sleep(self.seconds)
        with self.lock:
            self.batches.append([t.work for t in tickets])
            self.committed.update(t.work for t in tickets)


def test_a_lone_command_commits_at_once_without_waiting_for_the_window() -> None:
    commit = Recorder()
    batcher = GroupCommit(commit, window=5.0, max_batch=64)
    started = time.monotonic()
    with batcher.preparing():
        ticket = batcher.submit(1)
    assert time.monotonic() - started < 1.0  # nobody else was preparing: no wait
    assert (ticket.done, ticket.error) == (True, None)
    assert commit.batches == [[1]]


def test_commands_arriving_during_a_commit_form_the_next_batch_and_are_answered_after_it() -> None:
    commit = Recorder(seconds=0.2)
    batcher = GroupCommit(commit, window=0.0, max_batch=64)
    answered_before_commit: list[int] = []

    def submit(n: int) -> None:
        ticket = batcher.submit(n)
        with commit.lock:
            if n not in commit.committed:
                answered_before_commit.append(n)
        assert ticket.done

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    time.sleep(0.05)  # the first batch is committing
    rest = [threading.Thread(target=submit, args=(n,)) for n in range(1, 11)]
    for t in rest:
        t.start()
    for t in [first, *rest]:
        t.join(10)
    assert commit.batches[0] == [0]
    assert sorted(commit.batches[1]) == list(range(1, 11))  # all ten waited for the commit under way
    assert len(commit.batches) == 2
    assert answered_before_commit == []


def test_a_batch_never_exceeds_its_size() -> None:
    commit = Recorder(seconds=0.1)
    batcher = GroupCommit(commit, window=0.0, max_batch=4)
    threads = [threading.Thread(target=batcher.submit, args=(n,)) for n in range(13)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert max(len(b) for b in commit.batches) <= 4
    assert sorted(n for b in commit.batches for n in b) == list(range(13))


def test_the_leader_waits_for_commands_being_prepared_but_no_longer_than_the_window() -> None:
    commit = Recorder()
    batcher = GroupCommit(commit, window=0.3, max_batch=64)
    release = threading.Event()

    def slow() -> None:
        with batcher.preparing():
            release.wait(10)
            batcher.submit(2)

    other = threading.Thread(target=slow)
    other.start()
    time.sleep(0.05)
    started = time.monotonic()
    batcher.submit(1)  # waits for the one being prepared: at most the window
    waited = time.monotonic() - started
    release.set()
    other.join(10)
    assert 0.25 <= waited < 2.0
    assert commit.batches == [[1], [2]]


def test_an_error_of_the_commit_is_every_unanswered_members_answer() -> None:
    def fail(tickets: list[Ticket[int]]) -> None:
        for t in tickets:
            if t.work == 1:
                t.fail(KeyError("its own answer"))
        raise RuntimeError("the store went away")

    batcher = GroupCommit(fail, window=0.0)
    ticket = batcher.submit(1)
    assert isinstance(ticket.error, KeyError)  # the first answer counts
    ticket = batcher.submit(2)
    assert isinstance(ticket.error, RuntimeError)


@pytest.mark.parametrize("size", [0, -3])
def test_a_batch_holds_at_least_one(size: int) -> None:
    commit = Recorder()
    batcher = GroupCommit(commit, window=0.0, max_batch=size)
    batcher.submit(7)
    assert commit.batches == [[7]]
