"""The light half of the warm server (issue 17, item 6): where its socket is, which
server a command may use, and handing a command to it.

This module is imported by every ``indexlab`` command, so it loads nothing but the
standard library's small modules: a command that finds no server goes on in its own
process at the cost of a few ``stat`` calls. :mod:`indexlab.cli.server` is the server.

A server is used only when all of these hold:

* the process is the ``indexlab`` command (``main()`` with no ``argv``), not a call of
  ``main([...])`` from Python, and ``INDEXLAB_SERVER`` is not ``0``;
* the user's server folder exists (``$INDEXLAB_SERVER_DIR``, else
  ``$XDG_RUNTIME_DIR/indexlab``, else ``/tmp/indexlab-<uid>``), is a real folder (not a
  link), is the user's own, and nobody else may read or write it (mode ``0700``);
* a socket there carries this process's key: a hash of indexlab's source files (their
  names, sizes and modification times), the Python executable and version, and the
  environment variables read when libraries load (``NUMBA_*``, ``OMP_*``,
  ``OPENBLAS_*``, ``MKL_*``, ``MPL*``, ``PYTHON*``, ``LANG``, ``LC_*``, ``TZ``,
  ``INDEXLAB_BLAS_THREADS``). A changed source file or one of those variables means
  another key, so a command never runs on code or settings other than its own: it runs
  here, as without a server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import stat
import struct
import sys
from pathlib import Path

ENV_SWITCH = "INDEXLAB_SERVER"  # "0": never use a server
ENV_DIR = "INDEXLAB_SERVER_DIR"
KEY_PREFIXES = ("NUMBA_", "OMP_", "OPENBLAS_", "MKL_", "MPL", "PYTHON", "LC_", "VECLIB_")
KEY_NAMES = ("LANG", "TZ", "INDEXLAB_BLAS_THREADS", "MATPLOTLIBRC")
HEADER = struct.Struct("!I")  # the length of the JSON message that follows
MAX_MESSAGE = 16 * 2**20
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on the BSDs
# It forks, passes descriptors over a Unix socket and asks the kernel who connected
# (SO_PEERCRED): Linux.
SUPPORTED = sys.platform.startswith("linux")
# The resource limits a command's copy takes over from the command (``ulimit``): memory,
# CPU time, open files, processes, file size, core files, stack.
LIMITS = ("RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_RSS", "RLIMIT_CPU", "RLIMIT_NOFILE",
          "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_STACK")  # fmt: skip


class ServerError(OSError):
    """A server folder that is not safe to use, or a server that broke its protocol."""


def server_dir() -> Path:
    """The folder of this user's server sockets (see the module)."""
    chosen = os.environ.get(ENV_DIR)
    if chosen:
        return Path(chosen)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "indexlab"
    return Path("/tmp") / f"indexlab-{os.getuid()}"


def check_dir(folder: Path) -> None:
    """Raise :class:`ServerError` unless ``folder`` is a real folder of this user that
    nobody else can read or write: a socket in another's folder could be theirs."""
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise ServerError(f"{folder}: not a folder (a link or a file); the server needs its own")
    if info.st_uid != os.getuid():
        raise ServerError(f"{folder}: owned by user {info.st_uid}, not by you ({os.getuid()})")
    if info.st_mode & 0o077:
        raise ServerError(
            f"{folder}: others may use it (mode {stat.S_IMODE(info.st_mode):o}); "
            f"the server's folder must be 700 (chmod 700 {folder})"
        )


def package_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def key(environ: dict[str, str] | None = None) -> str:
    """This process's server key (see the module): 16 hex digits."""
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    digest.update(f"{sys.executable}\0{sys.version}\0".encode())
    root = package_dir()
    for folder, names, files in os.walk(root):
        names.sort()
        for name in sorted(files):
            if name.endswith((".py", ".toml", ".json", ".mplstyle")):
                path = os.path.join(folder, name)
                info = os.stat(path)
                relative = os.path.relpath(path, root)
                digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    for name in sorted(environ):
        if name.startswith(KEY_PREFIXES) or name in KEY_NAMES:
            digest.update(f"{name}={environ[name]}\0".encode(errors="surrogateescape"))
    return digest.hexdigest()[:16]


def socket_path(folder: Path, server_key: str) -> Path:
    return folder / f"server-{server_key}.sock"


def send_message(conn: socket.socket, message: dict) -> None:
    data = json.dumps(message).encode()
    conn.sendall(HEADER.pack(len(data)) + data)


def receive_message(conn: socket.socket) -> dict | None:
    """The next message, or None if the other end closed before one began."""
    head = _receive_exactly(conn, HEADER.size)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_MESSAGE:
        raise ServerError(f"a message of {size:,} bytes (at most {MAX_MESSAGE:,})")
    body = _receive_exactly(conn, size)
    if body is None:
        raise ServerError("the message was cut short")
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ServerError("a message that is not a JSON object")
    return message


def _receive_exactly(conn: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = conn.recv(min(left, 1 << 16))
        if not chunk:
            if left == size:
                return None
            raise ServerError("the message was cut short")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def connect(path: Path, timeout: float | None = None) -> socket.socket | None:
    """A connection to the server at ``path``, or None when none listens there."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(str(path))
    except OSError:  # no file, nobody listening, a timeout
        conn.close()
        return None
    return conn


def forward(argv: list[str]) -> int | None:
    """Run the command ``argv`` in this user's warm server and return its exit code;
    None when no server may take it (see the module): the caller runs it here."""
    if not SUPPORTED or os.environ.get(ENV_SWITCH, "") == "0" or argv[:1] == ["server"]:
        return None
    folder = server_dir()
    try:
        check_dir(folder)
    except OSError:  # no folder (no server started), or not safe: run here
        return None
    conn = connect(socket_path(folder, key()))
    if conn is None:
        return None
    with conn:
        return _run_there(conn, argv)


def _run_there(conn: socket.socket, argv: list[str]) -> int | None:
    umask = os.umask(0)
    os.umask(umask)
    request = {
        "op": "run",
        "argv": argv,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
        "limits": limits(),
        "priority": os.getpriority(os.PRIO_PROCESS, 0),
    }
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        socket.send_fds(conn, [b"F"], [0, 1, 2])
        send_message(conn, request)
        started = receive_message(conn)
    except (OSError, ValueError):
        return None  # the server never took it (stopped meanwhile): run here
    if not started or not isinstance(started.get("pid"), int):
        return None
    child = started["pid"]
    forwarded = _forward_signals(child)
    try:
        reply = receive_message(conn)  # a signal forwarded meanwhile does not end it
    except (OSError, ValueError):
        reply = None
    finally:
        for number, before in forwarded.items():
            signal.signal(number, before)
    if reply is None or not isinstance(reply.get("exit"), int):
        print(
            f"indexlab: error: the command's process in the indexlab server (pid {child}) "
            "ended without an exit code (killed?)",
            file=sys.stderr,
        )
        return 1
    return reply["exit"]


def limits() -> dict[str, list[int]]:
    """This process's soft and hard limits of :data:`LIMITS`."""
    import resource

    return {
        name: list(resource.getrlimit(getattr(resource, name)))
        for name in LIMITS
        if hasattr(resource, name)
    }


def _forward_signals(child: int) -> dict[int, object]:
    """While the command runs there, Ctrl-C, a hang-up or a termination of this process
    goes to the command's process group (it and the workers it started)."""

    def send(number, frame) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child, number)

    before = {}
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        before[number] = signal.signal(number, send)
    return before
