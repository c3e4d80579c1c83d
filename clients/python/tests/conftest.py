"""Fixtures: a real S3 server (s3rver, via tests/servers/s3server) for the session, and a real
mps3d per test, on a fresh bucket, with its socket in a temporary directory.

The programs come from the build (ctest passes their paths): MPS3D_PATH (mps3d) and
MPS3_S3_TOOL (mps3-s3, which creates the buckets). MPS3_TEST_SERVER picks the server kind
(s3rver by default; rgw works too).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))  # the package under test, from the source tree

from mps3d import Client, Mps3ConnectionError  # noqa: E402

S3SERVER = REPO / "tests" / "servers" / "s3server"
START_DEADLINE_S = 30.0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Polls ``condition`` until it holds; fails the test naming ``what`` past ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def program(variable: str) -> str:
    path = os.environ.get(variable, "")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"{variable} must name the built program (ctest sets it), not {path!r}")
    return path


class S3Server:
    """The session's S3 server: endpoint and credentials from its server.env."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        env = {}
        for line in (directory / "server.env").read_text().splitlines():
            name, _, value = line.partition("=")
            env[name] = value
        self.endpoint = env["MPS3_TEST_ENDPOINT"]
        self.access_key = env["MPS3_TEST_ACCESS_KEY"]
        self.secret_key = env["MPS3_TEST_SECRET_KEY"]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k != "MPS3_SOCKET"}
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key,
                   AWS_REGION="us-east-1")
        return env

    def make_bucket(self) -> str:
        name = "py-" + uuid.uuid4().hex[:16]
        subprocess.run([program("MPS3_S3_TOOL"), "--endpoint", self.endpoint, "mb", name],
                       env=self.environment(), check=True, capture_output=True, timeout=30)
        return name


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    kind = os.environ.get("MPS3_TEST_SERVER", "s3rver")
    directory = Path(tempfile.mkdtemp(prefix="mps3-pyclient-s3."))
    env = dict(os.environ, MPS3_TEST_OWNER_PID=str(os.getpid()))
    # Its diagnostics go to a file, not a pipe: the server's watchdog keeps a copy of the
    # descriptor, and a pipe would then never see its end.
    log = directory / "s3server.log"
    with open(log, "wb") as diagnostics:
        started = subprocess.run([str(S3SERVER), "start", kind, str(directory / "server")],
                                 env=env, stdout=subprocess.DEVNULL, stderr=diagnostics,
                                 timeout=300)
    if started.returncode != 0:
        text = log.read_text(errors="replace")
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"s3server start {kind} failed:\n{text}")
    try:
        yield S3Server(directory / "server")
    finally:
        subprocess.run([str(S3SERVER), "stop", str(directory / "server")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)


class Daemon:
    """A real mps3d on its own bucket; ``start``/``stop``/``kill`` keep its state directory, so
    a restart serves the same replica (and change log)."""

    def __init__(self, s3: S3Server, directory: Path) -> None:
        self.s3 = s3
        self.directory = directory
        self.bucket = s3.make_bucket()
        self.socket = str(directory / "mps3d.sock")
        self.log = directory / "mps3d.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, socket: str | None = None, offline: bool = False) -> None:
        """Starts mps3d (on ``socket``, default its usual one) and waits until it answers."""
        assert self.process is None, "already running"
        path = socket or self.socket
        args = [program("MPS3D_PATH"), "--endpoint", self.s3.endpoint, "--bucket", self.bucket,
                "--socket", path, "--state-dir", str(self.directory / "state"),
                "--poll-interval", "250", "--log-level", "debug",
                # A stop waits this long for uploads: the tests never need them all out.
                "--shutdown-timeout", "2000"]
        if offline:
            args.append("--offline")
        env = self.s3.environment()
        # No configuration file of the machine's user: only the flags count.
        env.update(XDG_CONFIG_HOME=str(self.directory / "config"), HOME=str(self.directory))
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=log)
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"mps3d exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with Client(path, timeout=5) as probe:
                    probe.status()
                return
            except Mps3ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail(f"mps3d did not answer within {START_DEADLINE_S:g} s:\n"
                                f"{self.log_tail()}")
                time.sleep(0.02)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stops mps3d with ``sig`` and waits for it; returns its exit status."""
        assert self.process is not None, "not running"
        self.process.send_signal(sig)
        try:
            status = self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self.process = None
        return status

    def kill(self) -> None:
        """SIGKILL: no clean shutdown (connections drop as in a crash)."""
        self.stop(signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextlib.contextmanager
def running_daemon(s3: S3Server, session: pytest.Session) -> Iterator[Daemon]:
    """A running mps3d on a fresh bucket, stopped and removed afterwards; its log is printed
    when a test failed meanwhile."""
    failed_before = session.testsfailed
    # Unix socket paths are limited to 107 bytes: a short directory under /tmp.
    directory = Path(tempfile.mkdtemp(prefix="mps3py.", dir="/tmp"))
    d = Daemon(s3, directory)
    try:
        d.start()
        yield d
    finally:
        if d.process is not None:
            d.stop()
        if session.testsfailed > failed_before:
            print(f"--- mps3d log ({d.log}) ---\n{d.log_tail()}")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def daemon(s3: S3Server, request: pytest.FixtureRequest) -> Iterator[Daemon]:
    """One mps3d for the tests of a module (each uses keys of its own and leaves it running
    and online): starting one per test would be most of the suite's time."""
    with running_daemon(s3, request.session) as d:
        yield d


@pytest.fixture
def fresh_daemon(s3: S3Server, request: pytest.FixtureRequest) -> Iterator[Daemon]:
    """An mps3d of the test's own."""
    with running_daemon(s3, request.session) as d:
        yield d


@pytest.fixture
def client(daemon: Daemon) -> Iterator[Client]:
    with Client(daemon.socket) as c:
        yield c
