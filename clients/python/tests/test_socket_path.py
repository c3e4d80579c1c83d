"""The socket lookup is mps3ctl's: each case is checked against the real mps3ctl, which names
the path it tried when nothing answers there."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import program
from mps3d import resolve_socket_path


def mps3ctl_path(env: dict[str, str], system: bool) -> str:
    args = [program("MPS3CTL_PATH"), "--timeout", "1", "status"]
    if system:
        args.insert(1, "--system")
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=30)
    found = re.search(r"cannot connect to mps3d at (.*): ", done.stderr)
    assert found, f"mps3ctl said: {done.stderr!r}"
    return found.group(1)


CONFIGS = {
    "none": None,
    "socket": '[daemon]\nsocket = /tmp/mps3-cfg/a.sock   # a comment\n',
    "quoted": '# hi\n[daemon]\nsocket = "/tmp/mps3-cfg/with \\"quotes\\" ; x.sock"\n'
              '[store "s"]\nbucket = notes\n',
    "last wins": '[daemon]\nsocket = /tmp/one.sock\n[daemon]\nsocket = /tmp/two.sock\n',
    "no socket": '[daemon]\nlog_level = debug\n',
    "bad syntax": '[daemon\nsocket = /tmp/mps3-cfg/ignored.sock\n',
    "unknown key": '[daemon]\nsocket = /tmp/mps3-cfg/ignored.sock\ncolour = red\n',
    "bad number": '[daemon]\nsocket = /tmp/mps3-cfg/ignored.sock\nmax_frame_bytes = 12\n',
    "outside": 'socket = /tmp/mps3-cfg/ignored.sock\n',
    "store unnamed": '[daemon]\nsocket = /tmp/mps3-cfg/ignored.sock\n[store]\n',
    "bad bucket": '[daemon]\nsocket = /tmp/mps3-cfg/ignored.sock\n[store "s"]\nbucket = b\n',
    "bad region": '[daemon]\nsocket = /tmp/mps3-cfg/ignored.sock\n[store "s"]\nregion = a b\n',
}


CASES = [(config, variables, False) for config in CONFIGS
         for variables in ("runtime dir", "no runtime dir")] + [
    (config, variables, system) for config in ("none", "socket")
    for variables in ("MPS3_SOCKET", "empty MPS3_SOCKET") for system in (False, True)]


@pytest.mark.parametrize(("config", "variables", "system"), CASES)
def test_the_lookup_is_mps3ctls(tmp_path: Path, config: str, variables: str,
                                system: bool) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path / "home"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    if variables != "no runtime dir":
        env["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
    if variables == "MPS3_SOCKET":
        env["MPS3_SOCKET"] = str(tmp_path / "env.sock")
    if variables == "empty MPS3_SOCKET":
        env["MPS3_SOCKET"] = ""
    if CONFIGS[config] is not None:
        (tmp_path / "config" / "mps3").mkdir(parents=True)
        (tmp_path / "config" / "mps3" / "mps3d.conf").write_text(CONFIGS[config])
    # The system configuration (/etc/mps3/mps3d.conf) is the machine's: both read the same one.
    assert resolve_socket_path(env=env, system=system) == mps3ctl_path(env, system)


def test_an_explicit_socket_wins(tmp_path: Path) -> None:
    env = {"MPS3_SOCKET": "/tmp/env.sock"}
    assert resolve_socket_path(tmp_path / "x.sock", env=env) == str(tmp_path / "x.sock")
    assert resolve_socket_path(env=env) == "/tmp/env.sock"
    assert resolve_socket_path(env={"HOME": "/nonexistent"}, uid=1234) == \
        "/tmp/mps3-1234/mps3/mps3d.sock"
