"""The warm server (issue 17, item 6; indexlab.cli.server): a command handed to it writes
the same files, prints the same lines and exits with the same code as the command in
its own process; only its user reaches it; a changed source file or setting is never
served by a server of the old one; Ctrl-C reaches the command; it stops when asked."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from indexlab.cli import server, server_client

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = ROOT / "strategies" / "top100-mcap-monthly.toml"
INDEXLAB = Path(sys.executable).with_name("indexlab")

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not INDEXLAB.is_file(),
    reason="the server forks and passes descriptors over a Unix socket (Linux), and is "
    "reached through the installed indexlab script",
)


def _env(folder: Path | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "INDEXLAB_SERVER"}
    if folder is not None:
        env["INDEXLAB_SERVER_DIR"] = str(folder)
    else:
        env["INDEXLAB_SERVER"] = "0"
    env.update(extra)
    return env


def _indexlab(args, folder: Path | None, cwd: Path, **extra: str):
    return subprocess.run(
        [str(INDEXLAB), *map(str, args)],
        cwd=cwd,
        env=_env(folder, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _served(folder: Path) -> int:
    done = _indexlab(["server", "status"], folder, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return int(done.stdout.split(" command(s) served")[0].rsplit(" ", 1)[1])


@pytest.fixture(scope="module")
def running():
    """A server in a short private folder (a socket's path has ~100 bytes at most)."""
    folder = Path(tempfile.mkdtemp(prefix="ilsrv-", dir="/tmp"))
    os.chmod(folder, 0o700)
    done = _indexlab(["server", "start", "--idle", "10"], folder, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "indexlab server started" in done.stdout
    yield folder
    _indexlab(["server", "stop"], folder, ROOT)
    shutil.rmtree(folder, ignore_errors=True)


def test_a_served_run_writes_and_says_what_a_run_of_its_own_does(running, tmp_path):
    before = _served(running)
    served = _indexlab(["run", STRATEGY, "--out", "served"], running, tmp_path)
    alone = _indexlab(["run", STRATEGY, "--out", "alone"], None, tmp_path)
    assert _served(running) == before + 1  # it went through the server
    assert served.returncode == alone.returncode == 0, served.stderr + alone.stderr

    def steady(text: str) -> list[str]:  # the run's own time and folder differ
        return [
            line.replace("served", "X").replace("alone", "X")
            for line in text.splitlines()
            if not line.startswith("Backtest ")
        ]

    assert steady(served.stdout) == steady(alone.stdout)
    assert served.stderr == alone.stderr
    a, b = tmp_path / "served", tmp_path / "alone"  # relative to the command's folder
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*"))
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*"))
    for name in ("equity.csv", "metrics.csv", "weights.csv", "trades.csv", "report.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "equity.csv").stat().st_mode & 0o777 == (b / "equity.csv").stat().st_mode & 0o777


def test_errors_and_exit_codes_are_the_commands_own(running, tmp_path):
    before = _served(running)
    for args in (["run", "missing.toml"], ["run", "--no-such-option"], ["--help"]):
        served = _indexlab(args, running, tmp_path)
        alone = _indexlab(args, None, tmp_path)
        assert (served.returncode, served.stdout, served.stderr) == (
            alone.returncode,
            alone.stdout,
            alone.stderr,
        ), args
    assert _served(running) == before + 3
    assert _indexlab(["run", "missing.toml"], running, tmp_path).returncode == 1


def test_the_environment_reaches_the_command_and_a_changed_setting_is_not_served(running, tmp_path):
    before = _served(running)
    cache = tmp_path / "cache"  # read when the command runs: served, in the command's env
    done = _indexlab(
        ["run", STRATEGY, "--out", "a", "--no-report"], running, tmp_path,
        INDEXLAB_CACHE_DIR=str(cache),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _served(running) == before + 1
    assert any(cache.glob("demo-market-*.npz"))  # the command's cache folder, not the server's
    # NUMBA_*, PYTHON*, ... are read when libraries load: another key, run in its own process
    done = _indexlab(["run", STRATEGY, "--out", "b", "--no-report"], running, tmp_path,
                     PYTHONINDEXLABTEST="1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "b" / "equity.csv").is_file()
    assert _served(running) == before + 1


def test_the_server_survives_a_bad_client(running):
    path = next(running.glob("server-*.sock"))
    for junk in (b"", b"F", b"F\x00\x00\x00\x05{}{}x", b"F\xff\xff\xff\xff"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(path))
            conn.sendall(junk)
    assert _served(running) >= 0  # still answers


def test_the_key_follows_the_sources_and_the_load_time_settings(tmp_path, monkeypatch):
    package = tmp_path / "indexlab"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(server_client, "package_dir", lambda: package)
    env = {"HOME": "/x", "NUMBA_NUM_THREADS": "1"}
    first = server_client.key(env)
    assert server_client.key({**env, "HOME": "/y", "INDEXLAB_CACHE_DIR": "/z"}) == first
    assert server_client.key({**env, "NUMBA_NUM_THREADS": "2"}) != first
    assert server_client.key({**env, "TZ": "Asia/Tokyo"}) != first
    (package / "a.py").write_text("x = 22\n")  # another size
    assert server_client.key(env) != first


def test_a_folder_others_can_use_is_refused(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="ilsrv-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        done = _indexlab(["server", "start"], folder, tmp_path)
        assert done.returncode == 1
        assert f"indexlab: error: server: {folder}: others may use it (mode 755)" in done.stderr
        assert "Traceback" not in done.stderr
        with pytest.raises(server_client.ServerError, match="must be 700"):
            server_client.check_dir(folder)
        link = tmp_path / "link"
        link.symlink_to(folder, target_is_directory=True)
        with pytest.raises(server_client.ServerError, match="not a folder"):
            server_client.check_dir(link)
        # a command there runs in its own process, as without a server
        done = _indexlab(["run", "missing.toml"], folder, tmp_path)
        assert done.returncode == 1 and "no such strategy file" in done.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_ctrl_c_of_the_waiting_command_reaches_the_commands_process_group():
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    before = server_client._forward_signals(child.pid)
    try:
        os.kill(os.getpid(), signal.SIGINT)  # handled: sent on to the group, not raised here
        assert child.wait(timeout=10) == -signal.SIGINT
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        if child.poll() is None:
            child.kill()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_stop_ends_it_and_removes_its_socket(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="ilsrv-", dir="/tmp"))
    try:
        os.chmod(folder, 0o700)
        assert _indexlab(["server", "start", "--idle", "5"], folder, tmp_path).returncode == 0
        again = _indexlab(["server", "start"], folder, tmp_path)
        assert "already running" in again.stdout
        pid = int(again.stdout.split("(pid ")[1].split(",")[0])
        done = _indexlab(["server", "stop"], folder, tmp_path)
        assert done.stdout.strip() == "indexlab server: stopped 1 server(s)"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            if Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z":
                break  # ended (a zombie until its parent, gone, is replaced by init)
            time.sleep(0.1)
        assert not list(folder.glob("server-*.sock"))
        status = _indexlab(["server", "status"], folder, tmp_path)
        assert status.returncode == 1 and "none running" in status.stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_status_json_protocol_is_plain_json(running):
    answer = server.status(next(running.glob("server-*.sock")))
    assert set(answer) == {"pid", "served", "started", "socket"}
    json.dumps(answer)


def _served_run(folder: Path, cwd: Path, out: str, streams) -> subprocess.Popen:
    """``indexlab run`` of the demo started through the server, returned once the server
    has forked its copy and the copy has had a moment to start."""
    path = next(folder.glob("server-*.sock"))
    before = server.status(path)["served"]
    command = subprocess.Popen(
        [str(INDEXLAB), "run", str(STRATEGY), "--out", out],
        cwd=cwd,
        env=_env(folder),
        stdout=streams,
        stderr=streams,
        text=True,
    )
    deadline = time.monotonic() + 60
    while server.status(path)["served"] == before and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    return command


def test_ctrl_c_in_the_terminal_interrupts_the_served_command(running, tmp_path):
    command = _served_run(running, tmp_path, "interrupted", subprocess.PIPE)
    command.send_signal(signal.SIGINT)  # what the terminal sends on Ctrl-C
    out, err = command.communicate(timeout=60)
    assert command.returncode == 130, out + err
    assert "indexlab: interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no run folder, no half-written one left behind


def test_an_idle_server_stops_by_itself(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="ilsrv-", dir="/tmp"))
    try:
        os.chmod(folder, 0o700)
        done = _indexlab(["server", "start", "--idle", "0.02"], folder, tmp_path)  # 1.2 s
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 30
        while list(folder.glob("server-*.sock")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not list(folder.glob("server-*.sock"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_commands_limits_and_priority_hold_in_its_copy(running, tmp_path):
    import resource

    def limited() -> None:  # ulimit -f 4 (KB) and nice -n 3, in the command's process
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) + 3)

    before = _served(running)
    done = {}
    for name, folder in (("served", running), ("alone", None)):
        done[name] = subprocess.run(
            [str(INDEXLAB), "run", str(STRATEGY), "--out", name, "--no-report"],
            cwd=tmp_path,
            env=_env(folder),
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=limited,
        )
    assert _served(running) == before + 1
    served, alone = done["served"], done["alone"]
    assert served.returncode == alone.returncode == 1, served.stderr + alone.stderr
    assert "File too large" in served.stderr
    assert served.stderr.replace("served", "X") == alone.stderr.replace("alone", "X")
    assert not (tmp_path / "served").exists() and not (tmp_path / "alone").exists()
    # the priority: a copy asked for a lower one takes it (a raise is refused)
    code = (
        "import os, resource\n"
        "from indexlab.cli import server\n"
        "nice = os.getpriority(os.PRIO_PROCESS, 0)\n"
        "server._take_limits({'RLIMIT_NOFILE': [64, 128]}, nice + 2)\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE), os.getpriority(os.PRIO_PROCESS, 0) - nice)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(64,", "128)", "2"]


def test_a_command_killed_outright_stops_its_copy_too(running, tmp_path):
    # kill -9 of the waiting command cannot be forwarded; its copy must not finish
    # unseen and write (or replace) the folder afterwards.
    command = _served_run(running, tmp_path, "killed", subprocess.DEVNULL)
    command.kill()
    command.wait(timeout=10)
    time.sleep(5)  # a served run takes ~1.3 s: by now it would have written its folder
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("raised", "code", "said"), [(0, 0, ""), (2, 2, ""), (None, 0, ""), ("boom", 1, "boom\n")]
)
def test_a_system_exit_in_the_copy_ends_as_python_ends_a_command(
    monkeypatch, capsys, raised, code, said
):
    # argparse exits with a number; sys.exit("text") prints the text and exits with 1,
    # as the interpreter does for a command of its own.
    import contextlib

    import indexlab.cli
    import indexlab.cli.process

    def leave(argv):
        raise SystemExit(raised)

    monkeypatch.setattr(indexlab.cli, "_main", leave)
    # not this test process's collector (the command's process settings)
    monkeypatch.setattr(indexlab.cli.process, "command_process", contextlib.nullcontext)
    assert server._command(["run"]) == code
    assert capsys.readouterr().err == said
