"""Sweeps on a Dask cluster of this machine: the same table as in-process, workers
killed mid-sweep without a configuration lost or counted twice (and said within
seconds), chunks that keep every worker busy and share planning, and errors that name
the scheduler.

Kept fast: the last 500 days of the demo market (5 MB to send, not 35), one
LocalCluster for most tests, kernels loaded from numba's cache, short deadlines."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import dask
import pandas as pd
import psutil
import pytest
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin

import indexlab
from indexlab.cli import main
from indexlab.errors import IndexlabError
from indexlab.sweep import read_parts, read_sweep, sweep
from indexlab.sweep.dask_executor import _WORKER_MEMOS, DaskExecutor, run_chunk_on_worker
from indexlab.sweep.runner import PARTS, _chunks

ROOT = Path(__file__).resolve().parents[1]
MEMORY = "1MB"
DAYS = 500  # the demo market's last days: a quick market to send and to plan
GRID = {
    "universe.top_n": [5, 10, 20, 30, 50],
    "weighting.scheme": ["market_cap", "equal"],
    "rebalance.frequency": ["monthly", "quarterly"],
    "costs.fee_bps": [0, 10],
}


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging: SIGALRM interrupts a wait on the cluster."""

    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class TaskLog(SchedulerPlugin):
    """Which worker each chunk task was given to, every time it was given one."""

    name = "indexlab-test-task-log"

    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []

    def start(self, scheduler) -> None:
        self.scheduler = scheduler

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish == "processing" and str(key).startswith("indexlab-chunk-"):
            self.runs.append((key, self.scheduler.tasks[key].processing_on.address))


def task_runs(client: Client) -> list[tuple[str, str]]:
    return client.run_on_scheduler(
        lambda dask_scheduler: list(dask_scheduler.plugins[TaskLog.name].runs)
    )


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    base = ROOT / "strategies" / "top100-mcap-monthly.toml"
    lines = ['name = "dask-test"', f"base = {json.dumps(str(base))}", "[grid]"]
    lines += [f"{json.dumps(key)} = {json.dumps(values)}" for key, values in GRID.items()]
    path = tmp_path_factory.mktemp("sweep") / "dask-test.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def spec(sweep_file):
    return read_sweep(sweep_file)


class OneConfigPerChunk(DaskExecutor):
    """Chunks of one configuration: 40 tasks, and rows exactly equal to the local run's
    (several configurations share one matrix product, whose last bits depend on the
    number of BLAS threads)."""

    def min_chunks(self) -> int:
        return len(GRID_CONFIGS)


GRID_CONFIGS = range(40)


def small_market(market: indexlab.Market) -> indexlab.Market:
    return dataclasses.replace(
        market,
        close=market.close.iloc[-DAYS:],
        market_cap=market.market_cap.iloc[-DAYS:],
        volume=market.volume.iloc[-DAYS:],
    )


@pytest.fixture(scope="module")
def market():
    return small_market(indexlab.demo_market())


@pytest.fixture(scope="module")
def local_table(spec, market) -> pd.DataFrame:
    table = sweep(spec, market, memory=MEMORY, executor=OneChunkLocal())
    assert len(table) == 40 and table["error"].isna().all()
    return table


class OneChunkLocal:
    """The local executor, one configuration per chunk (as OneConfigPerChunk)."""

    def min_chunks(self) -> int:
        return len(GRID_CONFIGS)

    def run(self, market, chunks, memory_bytes):
        from indexlab.sweep.runner import LocalExecutor

        return LocalExecutor().run(market, chunks, memory_bytes)


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread, restarted by their nannies when killed."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as local_cluster:
        yield local_cluster


@pytest.fixture
def client(cluster):
    """A client beside the sweep's, to watch and kill workers; two workers again after."""
    with Client(cluster, set_as_default=False) as watcher:
        watcher.wait_for_workers(2, timeout=60)
        watcher.register_plugin(TaskLog())
        yield watcher
        watcher.unregister_scheduler_plugin(TaskLog.name)
        watcher.wait_for_workers(2, timeout=60)


def raw_part_rows(out: Path) -> Counter:
    """config_id -> number of rows across every part file as written."""
    ids: Counter = Counter()
    for path in sorted((out / PARTS).glob("part-*.parquet")):
        ids.update(pd.read_parquet(path)["config_id"])
    return ids


def assert_each_once(table, seen, out, local_table):
    ids = list(local_table["config_id"])
    assert Counter(seen) == Counter(ids)  # yielded to the driver once each
    assert raw_part_rows(out) == Counter(ids)  # and written once each
    pd.testing.assert_frame_equal(table, local_table, check_exact=True)
    parts = read_parts(out).set_index("config_id").loc[ids].reset_index()
    whole = local_table.drop(columns="same_as")  # marked once the sweep has every row
    pd.testing.assert_frame_equal(parts, whole, check_exact=True, check_dtype=False)


def sweep_on(
    address, spec, market, out, *, memory=MEMORY, on_chunk=None, seconds=60, executor=None
):
    """A sweep through the scheduler at ``address`` in chunks of one configuration,
    failing after ``seconds``."""
    with deadline(seconds):
        return sweep(
            spec,
            market,
            out=out,
            memory=memory,
            executor=executor or OneConfigPerChunk(address),
            on_chunk=on_chunk,
        )


# ---------------------------------------------------------------- the same table
def test_a_dask_sweep_gives_the_local_table(spec, market, local_table, cluster, client, tmp_path):
    seen: list[str] = []
    table = sweep_on(
        cluster.scheduler_address,
        spec,
        market,
        tmp_path,
        on_chunk=lambda number, frame: seen.extend(frame["config_id"]),
    )
    assert_each_once(table, seen, tmp_path, local_table)
    assert len(list((tmp_path / PARTS).glob("part-*.parquet"))) == 40
    runs = task_runs(client)
    assert len(runs) == 40  # every chunk ran as a task on the cluster
    assert len({worker for _, worker in runs}) == 2


def test_default_chunks_keep_every_worker_busy_and_agree_to_rounding(
    spec, market, local_table, cluster, tmp_path
):
    # The default executor on a cluster of two one-thread workers: however large the
    # budget, at least two chunks per worker (the README's example made one chunk, and
    # one worker idled). Several configurations per chunk: one matrix product for all
    # of them, whose last bits depend on the number of BLAS threads.
    table = sweep_on(
        cluster.scheduler_address,
        spec,
        market,
        tmp_path,
        memory="2GB",
        executor=DaskExecutor(cluster.scheduler_address),
    )
    sizes = [len(pd.read_parquet(path)) for path in (tmp_path / PARTS).glob("part-*.parquet")]
    assert len(sizes) >= 4 and max(sizes) > 1
    assert raw_part_rows(tmp_path) == Counter(local_table["config_id"])
    pd.testing.assert_frame_equal(table, local_table, rtol=1e-12, atol=1e-12)


def test_default_chunking_counts_the_workers(spec, market):
    todo = spec.configs()
    assert DaskExecutor(workers=3).min_chunks() == 6
    assert DaskExecutor().min_chunks() == 4  # dask-local's default two workers
    assert len(_chunks(todo, market, 2e9)) == 1  # the local executor: one chunk fits
    chunks = _chunks(todo, market, 2e9, min_chunks=6)
    assert len(chunks) >= 6 and sum(map(len, chunks)) == len(todo)


def test_a_worker_keeps_its_planning_memo_for_the_chunks_of_one_sweep(spec, market):
    # A chunk on a worker plans with that worker's memo for the market it was sent:
    # the rankings of one chunk serve the next (each chunk used to start empty).
    _WORKER_MEMOS.clear()
    first, second = spec.configs()[:2], spec.configs()[2:4]
    run_chunk_on_worker(market, first, 2e8, "market-a")
    (memo,) = _WORKER_MEMOS.values()
    assert len(memo) > 0
    entries = len(memo)
    run_chunk_on_worker(market, second, 2e8, "market-a")
    assert list(_WORKER_MEMOS.values()) == [memo]  # the same memo, more entries or as many
    assert len(memo) >= entries
    run_chunk_on_worker(market, first, 2e8, "market-b")  # another sweep: a new memo
    (other,) = _WORKER_MEMOS.values()
    assert other is not memo
    _WORKER_MEMOS.clear()


# ---------------------------------------------------------------- workers dying
def test_a_worker_killed_mid_sweep_loses_and_repeats_nothing(
    spec, market, local_table, cluster, client, tmp_path
):
    pids = client.run(os.getpid)
    seen: list[str] = []
    killed: dict = {}

    def kill_after_first_chunk(number, frame):
        seen.extend(frame["config_id"])
        if killed:
            return
        busy = {w: keys for w, keys in client.processing().items() if keys}
        assert busy, "every chunk had finished before the kill: the test proves nothing"
        victim = sorted(busy)[0]
        os.kill(pids[victim], signal.SIGKILL)
        killed.update(
            worker=victim, keys=set(busy[victim]), chunks_done=len(seen), at=time.monotonic()
        )

    said: list[tuple[float, str]] = []
    executor = OneConfigPerChunk(
        cluster.scheduler_address, say=lambda text: said.append((time.monotonic(), text))
    )
    started = time.monotonic()
    table = sweep_on(
        cluster.scheduler_address,
        spec,
        market,
        tmp_path,
        on_chunk=kill_after_first_chunk,
        executor=executor,
    )
    seconds = time.monotonic() - started
    assert killed["chunks_done"] < 40
    assert_each_once(table, seen, tmp_path, local_table)
    runs = task_runs(client)
    given = Counter(key for key, _ in runs)
    # The tasks the dead worker held were given to a worker again (the scheduler's retry).
    retried = {key for key in killed["keys"] if given[key] >= 2}
    assert retried
    for key in retried:
        workers = [worker for k, worker in runs if k == key]
        assert killed["worker"] in workers and workers[-1] != killed["worker"]
    print(
        f"\nkilled {killed['worker']} after {killed['chunks_done']} chunk(s), holding "
        f"{len(killed['keys'])} task(s); {len(retried)} given to another worker; "
        f"{len(runs)} task runs for 40 chunks; sweep {seconds:.1f} s"
    )
    # The driver said so within seconds (it used to say nothing: Dask retried quietly).
    lost = [(at, text) for at, text in said if "was lost" in text]
    assert lost, said
    at, text = lost[0]
    assert at - killed["at"] < 5
    prefix = f"dask scheduler {cluster.scheduler_address}: worker {killed['worker']} was lost"
    assert text.startswith(prefix) and "\n" not in text


def test_every_worker_killed_mid_sweep_the_market_is_sent_again(
    spec, market, local_table, cluster, client, tmp_path
):
    pids = client.run(os.getpid)
    seen: list[str] = []

    def kill_all_after_first_chunk(number, frame):
        if not seen:
            assert any(client.processing().values())
            for pid in pids.values():
                os.kill(pid, signal.SIGKILL)
        seen.extend(frame["config_id"])

    table = sweep_on(
        cluster.scheduler_address, spec, market, tmp_path, on_chunk=kill_all_after_first_chunk
    )
    assert_each_once(table, seen, tmp_path, local_table)
    assert not set(pids.values()) & {w for w in client.run(os.getpid).values()}


def test_a_chunk_whose_workers_keep_dying_stops_the_sweep_and_it_resumes(
    spec, market, local_table, tmp_path
):
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"allowed_failures": 0},
        ) as single,
        Client(single, set_as_default=False) as watcher,
    ):
        (pid,) = watcher.run(os.getpid).values()

        done: list[int] = []

        def kill_on_second_chunk(number, frame):
            done.append(number)
            if len(done) == 2:
                assert any(watcher.processing().values())
                os.kill(pid, signal.SIGKILL)

        with pytest.raises(IndexlabError) as caught:
            sweep_on(
                single.scheduler_address, spec, market, tmp_path, on_chunk=kill_on_second_chunk
            )
    message = str(caught.value)
    assert "\n" not in message
    assert single.scheduler_address in message
    assert "allowed-failures = 0" in message and "run again to resume" in message
    written = raw_part_rows(tmp_path)
    assert 2 <= len(written) < 40 and set(written.values()) == {1}
    # Resumed in this process: only the missing configurations run, the table is whole.
    seen: list[str] = []
    table = sweep(
        spec,
        market,
        out=tmp_path,
        memory=MEMORY,
        on_chunk=lambda number, frame: seen.extend(frame["config_id"]),
    )
    assert not set(seen) & set(written) and len(seen) + len(written) == 40
    pd.testing.assert_frame_equal(table, local_table, rtol=1e-12, atol=1e-12)


def test_a_worker_with_another_indexlab_is_refused(spec, market, cluster, client, tmp_path):
    def pretend_version(version):  # on the workers: what importlib.metadata reports
        import importlib.metadata as metadata

        real = getattr(metadata, "real_version", metadata.version)
        metadata.real_version = real
        metadata.version = (
            real
            if version is None
            else (lambda name: version if name == "indexlab" else real(name))
        )

    client.run(pretend_version, "0.0.0-other")
    try:
        with pytest.raises(IndexlabError) as caught:
            sweep_on(cluster.scheduler_address, spec, market, tmp_path, seconds=60)
    finally:
        client.run(pretend_version, None)
    message = str(caught.value)
    assert "\n" not in message
    assert f"indexlab {indexlab.__version__} is needed" in message
    assert "(found: 0.0.0-other)" in message
    assert message.split(":")[0] == "dask worker tcp"
    assert any(worker in message for worker in client.scheduler_info()["workers"])
    assert not (tmp_path / PARTS).exists()


# ---------------------------------------------------------------- the command line
def long_table(market: indexlab.Market, path: Path) -> Path:
    """``market`` as a long-table file, for the command line's --data."""
    frame = (
        pd.concat(
            {"close": market.close, "market_cap": market.market_cap, "volume": market.volume},
            axis=1,
        )
        .stack(level=1, future_stack=True)
        .dropna(subset=["close"])
        .rename_axis(["date", "asset"])
        .reset_index()
    )
    names = market.assets[["symbol", "name"]]
    frame = frame.join(names, on="asset")
    frame.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def data_file(market, tmp_path_factory) -> Path:
    return long_table(market, tmp_path_factory.mktemp("data") / "market.parquet")


def test_the_sweep_command_on_a_local_cluster(sweep_file, spec, data_file, tmp_path):
    data = data_file
    local = sweep(spec, indexlab.load_market(data), memory=MEMORY)
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    with deadline(60):
        code = main(
            [
                "sweep",
                str(sweep_file),
                "--data",
                str(data),
                "--executor",
                "dask-local",
                "--workers",
                "1",  # one process to start: the cluster's life is what is tested here
                "--memory",
                MEMORY,
                "--out",
                str(tmp_path / "out"),
                "--quiet",
            ]
        )
    assert code == 0
    table = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert len(list((tmp_path / "out" / PARTS).glob("part-*.parquet"))) >= 2  # 2 per worker
    assert table["same_as"].isna().all() and local["same_as"].isna().all()
    pd.testing.assert_frame_equal(
        table.drop(columns="same_as"),
        local.drop(columns="same_as").astype({"error": object}),
        check_dtype=False,
        rtol=1e-12,
        atol=1e-12,
    )
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["executor"] == "dask-local"
    # The cluster started for the sweep was closed with it: no worker process is left.
    started = [p for p in me.children(recursive=True) if p.pid not in before and is_worker(p)]
    _, alive = psutil.wait_procs(started, timeout=10)
    assert not alive


def is_worker(process: psutil.Process) -> bool:
    """A process started by multiprocessing's spawn (a Dask worker), not its helpers."""
    try:
        return "spawn_main" in " ".join(process.cmdline())
    except psutil.Error:  # it has just exited
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_server():
    """A port that accepts connections and never says anything."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"


@pytest.fixture
def scheduler_without_workers():
    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address="127.0.0.1:0") as empty:
        yield empty.scheduler_address


def dask_at(address: str) -> tuple[str, ...]:
    return ("--executor", "dask", "--scheduler", address)


def run_sweep_command(sweep_file, out, *options, capsys, data=None) -> tuple[int, str, float]:
    started = time.monotonic()
    data_options = [] if data is None else ["--data", str(data)]
    with deadline(60), dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(
            ["sweep", str(sweep_file), "--out", str(out), "--quiet", *data_options, *options]
        )
    seconds = time.monotonic() - started
    return code, capsys.readouterr().err, seconds


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--executor", "dask"], "--executor dask needs --scheduler ADDRESS"),
        (
            ["--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "3"],
            "--workers: only for --executor dask-local",
        ),
        (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:port"], "not an address"),
    ],
)
def test_dask_options_that_cannot_work_are_one_line_errors(
    sweep_file, data_file, tmp_path, capsys, options, expected
):
    code, err, seconds = run_sweep_command(
        sweep_file, tmp_path, *options, capsys=capsys, data=data_file
    )
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("indexlab: error: ") and expected in err
    assert seconds < 5


def test_an_unreachable_scheduler_is_a_one_line_error(sweep_file, data_file, tmp_path, capsys):
    address = f"tcp://127.0.0.1:{free_port()}"
    code, err, seconds = run_sweep_command(
        sweep_file, tmp_path, *dask_at(address), capsys=capsys, data=data_file
    )
    assert code == 1 and err.count("\n") == 1
    assert f"dask scheduler {address}: connection refused for 1 s" in err
    assert seconds < 10
    assert not (tmp_path / PARTS).exists()


def test_a_refused_scheduler_is_said_within_five_seconds_by_default(
    sweep_file, data_file, tmp_path, capsys
):
    # Dask's own connect timeout (30 s) is left as configured: the probe stops at 5 s.
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with deadline(30):
        code = main(
            ["sweep", str(sweep_file), "--out", str(tmp_path), "--quiet", "--data", str(data_file)]
            + list(dask_at(address))
        )
    seconds = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 1 and f"dask scheduler {address}: connection refused for 5 s" in err
    assert seconds < 8  # the probe's 5 s and the command's start


def test_a_scheduler_that_does_not_answer_is_a_one_line_error(
    sweep_file, data_file, tmp_path, capsys, silent_server
):
    code, err, seconds = run_sweep_command(
        sweep_file, tmp_path, *dask_at(silent_server), capsys=capsys, data=data_file
    )
    assert code == 1 and err.count("\n") == 1
    assert f"dask scheduler {silent_server}: no answer within 1 s" in err
    assert seconds < 10


def test_a_scheduler_without_workers_is_a_one_line_error(
    sweep_file, data_file, tmp_path, capsys, scheduler_without_workers
):
    address = scheduler_without_workers
    code, err, seconds = run_sweep_command(
        sweep_file, tmp_path, *dask_at(address), capsys=capsys, data=data_file
    )
    assert code == 1 and err.count("\n") == 1
    assert f"dask scheduler {address}: no worker joined within 1 s" in err
    assert f"dask worker {address}" in err
    assert seconds < 10


def test_an_executor_kept_open_runs_several_sweeps_on_one_connection(
    spec, market, local_table, cluster
):
    # `dask-local` started a cluster per sweep (issue 17, item 8): in Python, one
    # executor used as a context manager keeps its cluster (a LocalCluster it started,
    # or its connection to a scheduler) for every sweep inside, and sends one Market
    # once; the command line's
    # dask-local, one sweep per process, is tested above.
    with deadline(60), DaskExecutor(cluster.scheduler_address) as executor:
        client = executor._open[1]
        assert executor.dashboard and executor.min_chunks() == 4  # 2 workers x 2
        first = sweep(spec, market, memory="2GB", executor=executor)
        assert executor._open[1] is client and client.status == "running"
        sent = executor._sent[1]  # the market stays on the workers, with their memos
        second = sweep(spec, market, memory="2GB", executor=executor)
        assert executor._sent[1] is sent
    assert executor._open is None and client.status == "closed"
    for table in (first, second):
        pd.testing.assert_frame_equal(table, local_table, rtol=1e-12, atol=1e-12)


def test_the_dashboard_is_served(cluster):
    # The `dask` extra brings bokeh (dask[diagnostics]): without it the address answers 404.
    import urllib.request

    with urllib.request.urlopen(cluster.dashboard_link, timeout=10) as page:
        assert page.status == 200


def test_a_worker_lost_while_a_result_is_fetched_is_said_at_once(cluster, client):
    # The driver fetches each finished chunk's rows; a fetch from a worker that has just
    # died waits for Dask's connect timeout (30 s) or the chunk's recomputation. The
    # watch must not wait with it: the loss is said within seconds, while the fetch waits.
    from indexlab.sweep import dask_watch

    pids = client.run(os.getpid)
    busy, idle = sorted(pids)
    slow = client.submit(time.sleep, 6.0, workers=[busy], pure=False)
    said: list[tuple[float, str]] = []
    watch = dask_watch.ClusterWatch(
        client, "test", lambda text: said.append((time.monotonic(), text))
    )
    killer = threading.Timer(1.0, os.kill, (pids[idle], signal.SIGKILL))
    killer.start()
    started = time.monotonic()
    dask_watch.result(slow, watch)
    killer.join()
    lost = [at for at, text in said if f"worker {idle} was lost" in text]
    assert lost, said
    assert lost[0] - started < 4.0  # said while the result was still on its way (6 s)
