"""The blocking Client against a real mps3d: every method, errors, reconnection."""

from __future__ import annotations

import pytest

from conftest import Daemon
from mps3d import (
    Client,
    Delete,
    InvalidKeyError,
    InvalidParamsError,
    MethodNotFoundError,
    Mps3ConnectionError,
    Mps3Error,
    OperationTimeoutError,
    Put,
    UnknownStoreError,
    ValueTooLargeError,
)

ABSENT = object()


def test_put_get_delete(client: Client) -> None:
    first = client.put("users/ada", {"name": "Ada"})
    second = client.put("users/nil", None)
    assert second > first
    assert client.get("users/ada") == {"name": "Ada"}
    # A stored null is a value; an absent key gives the default.
    assert client.get("users/nil", ABSENT) is None
    assert client.get("users/none", ABSENT) is ABSENT
    assert client.get("users/none") is None
    assert client.delete("users/ada") > second
    assert client.get("users/ada", ABSENT) is ABSENT


def test_values_keep_their_json_types(client: Client) -> None:
    value = {"s": "é\n\"x\"", "i": -3, "big": 2**63, "f": 1.5, "l": [True, None, {}], "u": "😀"}
    client.put("typed", value)
    assert client.get("typed") == value


def test_put_all_is_atomic_and_get_all_reads_found_keys(client: Client) -> None:
    client.put("b/old", 1)
    seq = client.put_all([Put("b/x", 1), {"key": "b/y", "value": [2]}, Delete("b/old")])
    assert client.status()["lastSeq"] == seq
    assert client.get_all(["b/x", "b/y", "b/old", "b/x"]) == {"b/x": 1, "b/y": [2]}


def test_list_follows_the_cursor_page_by_page(client: Client) -> None:
    keys = [f"p/{i:03d}" for i in range(250)]
    client.put_all([Put(k, i) for i, k in enumerate(keys)])
    client.put("q/outside", 0)
    pages = list(client.list("p/", limit=100))
    assert [len(p.entries) for p in pages] == [100, 100, 50]
    assert [p.cursor for p in pages] == ["p/099", "p/199", None]
    assert [k for p in pages for k, _ in p.entries] == keys
    assert list(client.items("p/")) == [(k, i) for i, k in enumerate(keys)]
    resumed = next(client.list("p/", limit=10, cursor="p/244"))
    assert [k for k, _ in resumed.entries] == keys[245:]


def test_errors_carry_the_code_and_data(client: Client) -> None:
    with pytest.raises(InvalidKeyError) as bad_key:
        client.put("", 1)
    assert bad_key.value.code == -32002
    with pytest.raises(InvalidParamsError) as bad_limit:
        next(client.list(limit=0))
    assert bad_limit.value.code == -32602
    assert bad_limit.value.data["parameter"] == "limit"
    with pytest.raises(UnknownStoreError) as bad_store:
        client.get("k", store="nope")
    assert "nope" in bad_store.value.message
    with pytest.raises(ValueTooLargeError) as too_large:
        client.put("big", "x" * (8 * 1024 * 1024 + 1))
    assert too_large.value.data == {"maxValueBytes": 8388608}
    with pytest.raises(MethodNotFoundError):
        client.request("nope")
    with pytest.raises(InvalidParamsError):
        client.request("get", {"key": "k", "awiat": "remote"})
    # A code without a subclass of its own still comes as Mps3Error with its code.
    assert issubclass(MethodNotFoundError, Mps3Error)
    # The connection carries on after every error.
    assert client.put("after", 1) > 0


def test_status_set_online_and_flush(client: Client) -> None:
    assert client.set_online(False) is False
    assert client.status()["online"] is False
    with pytest.raises(OperationTimeoutError) as timed_out:
        client.put("queued", 1, await_="remote", timeout_ms=100)
    assert timed_out.value.code == -32004
    assert client.status()["queuedWrites"] >= 1
    with pytest.raises(OperationTimeoutError):
        client.flush(timeout_ms=0)
    assert client.set_online(True) is True
    client.flush(timeout_ms=20_000)
    status = client.status()
    assert status["queuedWrites"] == 0 and status["online"] is True
    client.flush(await_="initial", timeout_ms=20_000)
    assert client.put("remote", 2, await_="remote", timeout_ms=20_000) > 0


def test_store_can_be_chosen_per_client_and_per_call(daemon: Daemon) -> None:
    with Client(daemon.socket, store="default") as named:
        assert named.status()["store"] == "default"
    with Client(daemon.socket, store="other") as wrong:
        with pytest.raises(UnknownStoreError):
            wrong.status()
        assert wrong.status(store="default")["store"] == "default"


def test_connect_failure_names_the_socket(tmp_path: object) -> None:
    path = "/tmp/mps3-no-such-dir/mps3d.sock"
    with pytest.raises(Mps3ConnectionError) as failure:
        Client(path).status()
    assert path in str(failure.value)
    assert failure.value.code is None


def test_the_next_call_reconnects_after_a_restart(daemon: Daemon) -> None:
    with Client(daemon.socket) as c:
        seq = c.put("kept", "v")
        daemon.stop()
        with pytest.raises(Mps3ConnectionError):
            c.get("kept")
        daemon.start()
        assert c.get("kept") == "v"
        assert c.status()["lastSeq"] == seq
