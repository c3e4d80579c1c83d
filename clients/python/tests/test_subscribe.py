"""Subscriptions against a real mps3d: delivery, since, and the guarantee that no change is
missed across a daemon restart and a `lagged`."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable

import pytest

from conftest import Daemon
from mps3d import AsyncClient, Change, ChangesMissedError, Client, Put


def take(subscription: object, n: int, timeout: float = 30.0) -> list[Change]:
    """The next ``n`` changes of a blocking subscription, failing past ``timeout`` each."""
    changes = []
    for _ in range(n):
        change = subscription.poll(timeout)  # type: ignore[attr-defined]
        assert change is not None, f"no change within {timeout:g} s after {changes}"
        changes.append(change)
    return changes


async def until(condition: Callable[[], bool], what: Callable[[], str],
                timeout: float = 60.0) -> None:
    """Waits (without blocking the loop) until ``condition`` holds, failing past ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what()}")
        await asyncio.sleep(0.02)


def test_subscribe_delivers_matching_changes_in_order(client: Client) -> None:
    with client.subscribe(prefix="u/") as sub:
        first = client.put("u/ada", {"name": "Ada"})
        client.put("other/x", 1)  # not under the prefix
        client.put("u/nil", None)
        last = client.delete("u/ada")
        ada, nil, gone = take(sub, 3)
        assert sub.poll(0.2) is None
    assert (ada.key, ada.value, ada.deleted, ada.seq, ada.origin) == \
        ("u/ada", {"name": "Ada"}, False, first, "local")
    assert (nil.key, nil.value, nil.deleted) == ("u/nil", None, False)
    assert (gone.key, gone.deleted, gone.seq) == ("u/ada", True, last)
    assert sub.seq == first - 1 and sub.last_seq == last


def test_subscribe_to_one_key_with_since_replays_first(client: Client) -> None:
    start = client.put("k", 1)
    client.put("k", 2)
    client.put("j", 0)
    with client.subscribe(key="k", since=start - 1) as sub:
        client.put("k", 3)
        assert [c.value for c in take(sub, 3)] == [1, 2, 3]


def test_a_since_the_change_log_cannot_replay_raises(client: Client) -> None:
    client.put("k", 1)
    with pytest.raises(ChangesMissedError) as missed:
        client.subscribe(prefix="", since=10**9)
    assert missed.value.since == 10**9
    with pytest.raises(ValueError):
        client.subscribe(key="k", prefix="")


def test_no_change_is_missed_when_the_daemon_restarts(daemon: Daemon) -> None:
    """A subscriber sees every change, once and in order, across a SIGKILL of mps3d, writes
    made while it cannot connect, and a clean restart."""

    async def main() -> None:
        async with AsyncClient(daemon.socket) as writer:
            subscription = await writer.subscribe(prefix="", reconnect_timeout=60)
            seen: list[Change] = []

            async def consume() -> None:
                async for change in subscription:
                    seen.append(change)

            consumer = asyncio.create_task(consume())
            for i in range(20):
                await writer.put(f"before/{i}", i)
            daemon.kill()
            # While the subscriber cannot reach it, mps3d runs on another socket and takes
            # writes the subscriber can only get from the change log.
            daemon.start(socket=daemon.socket + ".away")
            with Client(daemon.socket + ".away") as away:
                for i in range(20):
                    away.put(f"away/{i}", i)
            daemon.stop()
            daemon.start()
            for i in range(20):
                await writer.put(f"after/{i}", i)
            last = (await writer.status())["lastSeq"]
            await until(lambda: bool(seen) and seen[-1].seq >= last,
                        lambda: f"the change of seq {last} (seen: {[c.seq for c in seen]})")
            await subscription.aclose()
            await consumer

            assert [c.seq for c in seen] == list(range(subscription.seq + 1, last + 1))
            assert [c.key for c in seen] == [f"{phase}/{i}" for phase in
                                             ("before", "away", "after") for i in range(20)]
            assert subscription.resubscribes >= 1

    asyncio.run(main())


def test_blocking_subscription_survives_a_restart(daemon: Daemon) -> None:
    with Client(daemon.socket) as c, c.subscribe(prefix="", reconnect_timeout=60) as sub:
        c.put("one", 1)
        daemon.stop(signal.SIGKILL)
        daemon.start()
        c.put("two", 2)
        assert [(x.key, x.value) for x in take(sub, 2)] == [("one", 1), ("two", 2)]
        assert sub.resubscribes == 1


def test_lagged_is_recovered_without_missing_a_change(fresh_daemon: Daemon) -> None:
    """A consumer that does not read while 3,000 changes of 2 KB arrive makes mps3d end its
    subscription with `lagged` (more than 1,024 waiting); the subscription resubscribes with
    since and still delivers each change once, in order."""
    client = Client(fresh_daemon.socket)
    # No bucket traffic: the test is about the socket, and 6 MB of uploads would only slow it.
    client.set_online(False)
    with client, client.subscribe(prefix="lag/") as sub:
        big = "x" * 2048
        last = client.put_all([Put(f"lag/{i:04d}", big) for i in range(3000)])
        changes = take(sub, 3000)
        assert sub.poll(0.2) is None
    assert sub.lagged >= 1
    assert [c.seq for c in changes] == list(range(last - 2999, last + 1))
    assert [c.key for c in changes] == [f"lag/{i:04d}" for i in range(3000)]


def test_async_lagged_is_recovered(fresh_daemon: Daemon) -> None:
    async def main() -> None:
        async with AsyncClient(fresh_daemon.socket) as c:
            await c.set_online(False)  # as above: no uploads
            sub = await c.subscribe(prefix="")
            last = await c.put_all([Put(f"a/{i:04d}", "y" * 2048) for i in range(3000)])
            seqs = []
            while len(seqs) < 3000:
                change = await sub.next(30)
                assert change is not None, f"stalled after {len(seqs)} changes"
                seqs.append(change.seq)
            await sub.aclose()
            assert seqs == list(range(last - 2999, last + 1))
            assert sub.lagged >= 1

    asyncio.run(main())
