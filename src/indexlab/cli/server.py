"""A warm ``indexlab`` server: commands without the start-up (issue 17, item 6).

Every ``indexlab`` command pays ~1.3 s before its first line of work on the reference
machine: Python, numpy, pandas and numba load (0.8-0.9 s), numba readies its compiler
(0.2 s), matplotlib loads for the report (0.5-0.7 s). ``indexlab server start`` starts
one process that pays this once: it loads everything, runs a small backtest with its
report in a temporary folder (so every compiled function and font cache is ready), and
waits. An ``indexlab`` command that finds it (:mod:`indexlab.cli.server_client` says
when) hands over its arguments, working folder, environment, umask and its standard
input, output and error (the file descriptors themselves); the server forks a copy of
itself, warm, that runs the command exactly as the command would have run it, writing
to the same terminal and files, and sends back the exit code. Each command has a fresh
copy: nothing one command does is seen by the next.

The server only takes connections of its own user (the peer's credentials are checked),
through a socket in a folder only that user can open. It stops after ``--idle``
minutes without a command (30 by default), when ``indexlab server stop`` asks, or when
its socket is removed. A copy of the command is its own process group: Ctrl-C in the
terminal (forwarded by the waiting command) reaches it and the workers it starts.

    indexlab server start [--idle MINUTES]
    indexlab server status
    indexlab server stop
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from indexlab.cli import server_client as client

IDLE_MINUTES = 30.0
READY_TIMEOUT = 300.0  # the first start may compile the engine (up to a minute or two)
ACCEPT_POLL = 1.0  # seconds between looks at the idle clock and the socket file
REQUEST_TIMEOUT = 10.0  # a client that connects must send its request within this
_WARM_STRATEGY = """\
name = "indexlab-server-warm-up"
[universe]
top_n = 10
exclude = ["stablecoin", "wrapped", "staked"]
[weighting]
scheme = "market_cap"
[rebalance]
frequency = "monthly"
[costs]
fee_bps = 10.0
"""


# ------------------------------------------------------------------ the commands
def start(idle_minutes: float = IDLE_MINUTES) -> tuple[int, Path, bool]:
    """Start this user's server for this process's key unless one runs: (its pid, its
    socket, whether it was started now). Waits until it is ready."""
    if not client.SUPPORTED:
        raise client.ServerError(f"the server runs on Linux only (this is {sys.platform})")
    folder = _make_dir()
    path = client.socket_path(folder, client.key())
    running = status(path)
    if running is not None:
        return running["pid"], path, False
    _check_path_length(path)
    read, write = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "indexlab.cli.server", str(path), str(idle_minutes), str(write)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(write,),
            start_new_session=True,  # not stopped by the terminal's Ctrl-C nor its hang-up
        )
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as ready:
        words = _read_with_deadline(ready, READY_TIMEOUT).decode(errors="replace").strip()
    if words != "ready":
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
        raise client.ServerError(f"the server did not start: {words or 'no answer'}")
    return process.pid, path, True


def status(path: Path | None = None) -> dict | None:
    """The server's answer to "status" (``pid``, ``served``: commands run, ``started``:
    its start as a Unix time, ``socket``), or None when none runs for this key."""
    path = path or client.socket_path(client.server_dir(), client.key())
    return _ask(path, "status")


def stop_all() -> list[int]:
    """Stop every server of this user (every key): the pids asked to stop."""
    folder = client.server_dir()
    try:
        client.check_dir(folder)
    except FileNotFoundError:
        return []
    stopped = []
    for path in sorted(folder.glob("server-*.sock")):
        answer = _ask(path, "stop")
        if answer is not None:
            stopped.append(answer["pid"])
        else:  # nobody listens: a socket left by a server that was killed
            with contextlib.suppress(OSError):
                path.unlink()
    return stopped


def _ask(path: Path, op: str) -> dict | None:
    conn = client.connect(path, timeout=REQUEST_TIMEOUT)
    if conn is None:
        return None
    with conn:
        try:
            conn.sendall(b"F")  # where a command sends its descriptors
            client.send_message(conn, {"op": op})
            return client.receive_message(conn)
        except (OSError, ValueError):
            return None


def _make_dir() -> Path:
    folder = client.server_dir()
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    client.check_dir(folder)
    return folder


def _check_path_length(path: Path) -> None:
    if len(os.fsencode(path)) > client.MAX_SOCKET_PATH:
        raise client.ServerError(
            f"{path}: too long for a socket ({len(os.fsencode(path))} bytes, at most "
            f"{client.MAX_SOCKET_PATH}); set {client.ENV_DIR} to a shorter folder"
        )


def _read_with_deadline(stream, seconds: float) -> bytes:
    import select

    deadline = time.monotonic() + seconds
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            break
        data += chunk
    return data


# ------------------------------------------------------------------ the server
def serve(path: Path, idle_minutes: float, ready_fd: int | None = None) -> None:
    """Warm up, listen at ``path``, and fork a copy for each command (see the module)."""
    try:
        _warm_up()
        if threading.active_count() != 1:
            raise client.ServerError("threads are running after the warm-up: forking is unsafe")
        listener = _listen(path)
    except BaseException as exc:
        _tell(ready_fd, f"{type(exc).__name__}: {exc}")
        raise SystemExit(1) from None
    os.chdir("/")  # holds no folder of the caller's (each command has its own)
    gc.freeze()  # what is loaded stays: copies share its pages, no collector walks them
    _tell(ready_fd, "ready")
    with contextlib.suppress(OSError):  # nothing more to say; errors go nowhere
        fd = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(fd, target)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda number, frame: _end(listener, path))
    try:
        _loop(listener, path, idle_minutes * 60.0)
    finally:
        _end(listener, path, leave=False)


def _warm_up() -> None:
    """Load and run what commands need: a small backtest with its report, written in a
    temporary folder (then removed)."""
    import indexlab.cli.run_command  # noqa: F401
    import indexlab.sweep  # noqa: F401
    from indexlab.cli import _main

    with tempfile.TemporaryDirectory(prefix="indexlab-server-") as folder:
        strategy = Path(folder) / "warm.toml"
        strategy.write_text(_WARM_STRATEGY, encoding="utf-8")
        out = Path(folder) / "run"
        code = _main(["run", str(strategy), "--out", str(out), "--quiet"])
        if code:
            raise client.ServerError(f"the warm-up backtest failed (exit {code})")


def _listen(path: Path) -> socket.socket:
    """Listen at ``path``: bound under a temporary name, made private, then renamed into
    place, so that no client finds a socket that is not ready."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(temporary))
    os.chmod(temporary, 0o600)
    listener.listen(16)
    os.replace(temporary, path)
    listener.settimeout(ACCEPT_POLL)
    return listener


def _tell(fd: int | None, words: str) -> None:
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(fd, words.encode())
        os.close(fd)


_state = {"served": 0, "started": time.time(), "stopping": False, "inode": None}


def _loop(listener: socket.socket, path: Path, idle_seconds: float) -> None:
    children: set[int] = set()
    last = time.monotonic()
    _state["inode"] = os.stat(path).st_ino
    while not _state["stopping"]:
        _reap(children)
        if children:
            last = time.monotonic()
        elif time.monotonic() - last > idle_seconds:
            return
        if not _still_ours(path):
            return
        try:
            conn, _ = listener.accept()
        except (TimeoutError, InterruptedError):
            continue
        except OSError:
            return
        last = time.monotonic()
        with conn:
            child = _take(conn, listener, path)
        if child:
            children.add(child)
            _state["served"] += 1


def _still_ours(path: Path) -> bool:
    try:
        return os.stat(path).st_ino == _state["inode"]
    except OSError:
        return False


def _reap(children: set[int]) -> None:
    for pid in list(children):
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if not done:
                continue
        children.discard(pid)


def _take(conn: socket.socket, listener: socket.socket, path: Path) -> int | None:
    """Answer one connection: status, stop, or a command run in a forked copy (its
    pid)."""
    conn.settimeout(REQUEST_TIMEOUT)
    fds: list[int] = []
    try:
        if _peer_uid(conn) != os.getuid():
            return None
        _, fds, _, _ = socket.recv_fds(conn, 1, 3)
        request = client.receive_message(conn)
    except (OSError, ValueError):
        _close_all(fds)
        return None
    op = request.get("op") if request else None
    if op in ("status", "stop"):
        _close_all(fds)
        answer = {
            "pid": os.getpid(),
            "served": _state["served"],
            "started": _state["started"],
            "socket": str(path),
        }
        with contextlib.suppress(OSError):
            client.send_message(conn, answer)
        if op == "stop":
            _state["stopping"] = True
        return None
    if op != "run" or len(fds) != 3 or not _valid_run(request):
        _close_all(fds)
        return None
    pid = os.fork()
    if pid == 0:  # the copy that runs the command; never returns
        try:
            listener.close()
            _run_command(conn, request, fds)
        finally:
            os._exit(1)  # only if _run_command could not reach its own end
    _close_all(fds)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # also done by the copy: whichever runs first
    return pid


def _peer_uid(conn: socket.socket) -> int:
    credentials = struct.Struct("3i")
    data = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, credentials.size)
    return credentials.unpack(data)[1]


def _valid_run(request: dict) -> bool:
    argv, env = request.get("argv"), request.get("env")
    return (
        isinstance(argv, list)
        and all(isinstance(a, str) for a in argv)
        and isinstance(request.get("cwd"), str)
        and isinstance(env, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
        and isinstance(request.get("umask"), int)
        and isinstance(request.get("priority"), int)
        and isinstance(request.get("limits"), dict)
        and all(
            name in client.LIMITS
            and isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, int) for v in pair)
            for name, pair in request["limits"].items()
        )
    )


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _run_command(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked copy: become the command's process (its folder, environment,
    umask and standard streams), run it, send the exit code, end."""
    code, watcher = 1, None
    try:
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        _close_all(fds)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        _take_limits(request["limits"], request["priority"])
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None  # found again from the command's TMPDIR
        _reopen_streams()
        sys.argv = ["indexlab", *request["argv"]]
        conn.settimeout(None)
        watcher = _interrupt_when_gone(conn)
        client.send_message(conn, {"pid": os.getpid()})
        code = _command(request["argv"])
    except BaseException as exc:  # noqa: BLE001 (the command's own errors are said by it)
        with contextlib.suppress(Exception):
            print(f"indexlab: error: in the indexlab server: {exc}", file=sys.stderr)
    finally:
        try:  # no signal may stop the copy from ending here, never in the server's loop
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _end_watcher(watcher)
            sys.stdout.flush()
            sys.stderr.flush()
            client.send_message(conn, {"exit": code})
        except BaseException:  # noqa: BLE001, S110 (the command is gone or its streams are)
            pass
        os._exit(code)


def _interrupt_when_gone(conn: socket.socket) -> int:
    """If the waiting command ends before its copy (killed outright, ``kill -9``: it
    could not forward a signal), the copy is interrupted as by Ctrl-C: it stops and
    leaves no folder, rather than finishing unseen and replacing a folder the user
    may have run again since. A watcher process forked here (a process, not a thread:
    the copy forks its figure workers only while it has no other thread) waits on the
    connection, on which the command sends nothing more: when the read ends, the
    command is gone. Returns the watcher's pid, which the copy ends when it ends. (The
    kernel's SIGIO on the socket was tried first: Linux sends it for a closed peer only
    when a read had waited before, so it missed some.)"""
    copy = os.getpid()
    watcher = os.fork()
    if watcher:
        return watcher
    try:  # the watcher: never returns
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the group's Ctrl-C is the copy's
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        conn.settimeout(None)
        with contextlib.suppress(OSError):
            while conn.recv(4096):
                pass
        os.kill(copy, signal.SIGINT)  # the command's own Ctrl-C handling
    finally:
        os._exit(0)


def _end_watcher(watcher: int | None) -> None:
    if watcher is None:
        return
    with contextlib.suppress(OSError):
        os.kill(watcher, signal.SIGKILL)
        os.waitpid(watcher, 0)


def _take_limits(limits: dict[str, list[int]], priority: int) -> None:
    """The command's resource limits and scheduling priority (``ulimit``, ``nice``) for
    this copy. A process can lower its limits and priority, not raise them above the
    server's: a command started with more than the server has runs with the server's
    (start the server from a shell with those limits to give them to every command)."""
    import resource

    for name, (soft, hard) in limits.items():
        which = getattr(resource, name)
        _, own_hard = resource.getrlimit(which)
        if own_hard != resource.RLIM_INFINITY and (
            hard == resource.RLIM_INFINITY or hard > own_hard
        ):
            hard = own_hard
        if hard != resource.RLIM_INFINITY and (soft == resource.RLIM_INFINITY or soft > hard):
            soft = hard
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, (soft, hard))
    with contextlib.suppress(OSError):
        if priority > os.getpriority(os.PRIO_PROCESS, 0):
            os.setpriority(os.PRIO_PROCESS, 0, priority)


def _command(argv: list[str]) -> int:
    from indexlab.cli import _main
    from indexlab.cli.process import command_process

    try:
        with command_process():
            code = _main(argv)
    except SystemExit as exc:  # argparse: --help, or bad arguments
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code
        else:  # as the interpreter ends: the text on stderr, exit status 1
            print(exc.code, file=sys.stderr)
            code = 1
    return int(code or 0) & 0xFF


def _reopen_streams() -> None:
    """Standard streams for the command's descriptors, buffered as Python would buffer
    them in the command (line by line on a terminal), in the locale's encoding (the
    command's: its LANG and LC_* are part of the server's key)."""
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1 if os.isatty(1) else -1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115


def _end(listener: socket.socket, path: Path, leave: bool = True) -> None:
    _state["stopping"] = True
    if _still_ours(path):
        with contextlib.suppress(OSError):
            path.unlink()
    with contextlib.suppress(OSError):
        listener.close()
    if leave:
        raise SystemExit(0)


if __name__ == "__main__":
    # python -m indexlab.cli.server SOCKET IDLE_MINUTES READY_FD (as start() runs it)
    serve(Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
