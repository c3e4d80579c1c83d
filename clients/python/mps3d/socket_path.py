"""Where mps3d's socket is: the same lookup as ``mps3ctl`` (daemon/ctl/socket_path.cpp).

Most specific first:

1. the ``socket`` argument;
2. ``$MPS3_SOCKET`` (not with ``system=True``, which asks for the system daemon explicitly);
3. ``socket`` in the ``[daemon]`` section of mps3d's configuration file, when the file reads
   cleanly (``$XDG_CONFIG_HOME/mps3/mps3d.conf``, i.e. ``~/.config/mps3/mps3d.conf``, or
   ``/etc/mps3/mps3d.conf`` with ``system=True``);
4. mps3d's default: ``$XDG_RUNTIME_DIR/mps3/mps3d.sock`` (``/tmp/mps3-UID/mps3/mps3d.sock``
   without ``XDG_RUNTIME_DIR``), or ``/run/mps3/mps3d.sock`` with ``system=True``.

An environment variable that is set but empty counts as unset, as in mps3d.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SYSTEM_SOCKET = "/run/mps3/mps3d.sock"
SYSTEM_CONFIG = "/etc/mps3/mps3d.conf"

_DAEMON_KEYS = {"socket", "state_dir", "log_level", "offline", "max_frame_bytes",
                "allowed_uids", "allowed_gids"}
_STORE_KEYS = {"endpoint", "region", "profile", "bucket", "manifest", "replica",
               "poll_interval_ms", "max_parallel_requests", "collect_garbage", "sync"}
_BOOLS = {"true", "yes", "on", "1", "false", "no", "off", "0"}
_LOG_LEVELS = {"trace", "debug", "info", "warn", "error", "off"}


class _Unclean(Exception):
    """The configuration file does not read cleanly: mps3d's to complain about."""


def _env(env: Mapping[str, str], name: str, fallback: str) -> str:
    value = env.get(name, "")
    return value if value else fallback


def _trim(text: str) -> str:
    return text.strip(" \t\r")


def _read_value(raw: str) -> str:
    """A value as daemon/ini.cpp reads it: "quoted" with \\ escapes, or bare up to # or ;."""
    if raw.startswith('"'):
        out = []
        i = 1
        while i < len(raw):
            c = raw[i]
            if c == "\\" and i + 1 < len(raw):
                i += 1
                out.append(raw[i])
            elif c == '"':
                rest = _trim(raw[i + 1:])
                if rest and rest[0] not in "#;":
                    raise _Unclean("text after the closing quote")
                return "".join(out)
            else:
                out.append(c)
            i += 1
        raise _Unclean("unterminated quoted value")
    for j, c in enumerate(raw):
        if c in "#;":
            raw = raw[:j]
            break
    return _trim(raw)


def _whole_number(value: str, low: int, high: int) -> bool:
    return value.isascii() and value.isdigit() and low <= int(value) <= high


def _check_daemon_entry(key: str, value: str) -> None:
    if key not in _DAEMON_KEYS:
        raise _Unclean(f"unknown key {key} in [daemon]")
    if key == "offline" and value not in _BOOLS:
        raise _Unclean("offline")
    if key == "log_level" and value not in _LOG_LEVELS:
        raise _Unclean("log_level")
    if key == "max_frame_bytes" and not _whole_number(value, 1024, 1 << 30):
        raise _Unclean("max_frame_bytes")
    if key in ("allowed_uids", "allowed_gids"):
        for item in value.split(","):
            item = item.strip(" ")
            if item and not _whole_number(item, 0, 0xFFFFFFFE):
                raise _Unclean(key)


def _check_store_entry(key: str, value: str) -> None:
    if key not in _STORE_KEYS:
        raise _Unclean(f"unknown key {key} in [store]")
    if key == "collect_garbage" and value not in _BOOLS:
        raise _Unclean(key)
    if key == "sync" and value not in ("full", "normal"):
        raise _Unclean(key)
    if key == "poll_interval_ms" and not _whole_number(value, 10, 3_600_000):
        raise _Unclean(key)
    if key == "max_parallel_requests" and not _whole_number(value, 1, 512):
        raise _Unclean(key)
    if key == "manifest" and not value:
        raise _Unclean(key)
    if key == "bucket" and not (3 <= len(value) <= 63 and _all_name_chars(value)):
        raise _Unclean(key)
    if key == "region" and not (value and _all_name_chars(value)):
        raise _Unclean(key)


def _all_name_chars(value: str) -> bool:
    """Letters, digits, '-', '.' and '_' (bucket and region names, daemon/config.cpp)."""
    return all(c.isascii() and (c.isalnum() or c in "-._") for c in value)


def configured_socket(text: str) -> str | None:
    """The ``socket`` a configuration file's text sets, ``None`` when it sets none.

    Raises ``ValueError`` when the text does not read cleanly (then mps3ctl, and this client,
    use the default path). The syntax, the sections, the settings' names and their values are
    checked as mps3d checks them, except an ``endpoint`` URL: one mps3d refuses makes mps3ctl
    use the default path, and this client still the configured socket.
    """
    socket: str | None = None
    kind: str | None = None  # None: before any [section]
    name = ""
    try:
        for raw_line in text.split("\n"):
            line = _trim(raw_line)
            if not line or line[0] in "#;":
                continue
            if line[0] == "[":
                if line[-1] != "]":
                    raise _Unclean("section header must end with ']'")
                inside = _trim(line[1:-1])
                parts = inside.replace("\t", " ").split(" ", 1)
                kind = inside[: len(parts[0])]
                name = ""
                if len(parts) > 1:
                    name = _read_value(_trim(inside[len(parts[0]):]))
                    if not name:
                        raise _Unclean("empty section name")
                if not kind:
                    raise _Unclean("empty section header")
                if not (kind == "daemon" and not name) and kind != "store":
                    raise _Unclean(f"unknown section [{kind}]")
                if kind == "store" and not name:
                    raise _Unclean("a store section needs a name")
                continue
            if "=" not in line:
                raise _Unclean("expected 'key = value'")
            key_text, value_text = line.split("=", 1)
            key = _trim(key_text)
            if not key:
                raise _Unclean("missing key before '='")
            value = _read_value(_trim(value_text))
            if kind is None:
                raise _Unclean("settings must be inside a section")
            if kind == "daemon":
                _check_daemon_entry(key, value)
                if key == "socket":
                    socket = value
            else:
                _check_store_entry(key, value)
    except _Unclean as why:
        raise ValueError(str(why)) from None
    return socket


def resolve_socket_path(
    socket: str | os.PathLike[str] | None = None,
    *,
    system: bool = False,
    env: Mapping[str, str] | None = None,
    uid: int | None = None,
) -> str:
    """The path of mps3d's socket, found as ``mps3ctl`` finds it (see the module's docstring).

    Args:
        socket: an explicit path; wins over everything else.
        system: the system daemon (``/run/mps3/mps3d.sock``) rather than the user's own.
        env: the environment to read (default ``os.environ``).
        uid: the user id for the default path without ``XDG_RUNTIME_DIR`` (default
            ``os.getuid()``).
    """
    if socket is not None and os.fspath(socket) != "":
        return os.fspath(socket)
    env = os.environ if env is None else env
    if not system and env.get("MPS3_SOCKET", ""):
        return env["MPS3_SOCKET"]
    if system:
        default = SYSTEM_SOCKET
        config_file = SYSTEM_CONFIG
    else:
        home = _env(env, "HOME", "/")
        uid = os.getuid() if uid is None else uid
        runtime = _env(env, "XDG_RUNTIME_DIR", f"/tmp/mps3-{uid}")
        default = os.path.join(runtime, "mps3", "mps3d.sock")
        config_home = _env(env, "XDG_CONFIG_HOME", home + "/.config")
        config_file = os.path.join(config_home, "mps3", "mps3d.conf")
    try:
        with open(config_file, "rb") as f:
            text = f.read().decode("utf-8", errors="surrogateescape")
    except OSError:
        return default
    try:
        configured = configured_socket(text)
    except ValueError:
        return default
    return configured if configured is not None else default
