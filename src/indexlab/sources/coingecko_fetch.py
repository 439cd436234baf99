"""Download CoinGecko's top coins by market cap and their histories into a folder.

What :func:`fetch_coingecko` writes in ``out_dir``:

- ``coins.csv``: ``coin_id,symbol,name``, one row per coin, in market-cap rank order;
- ``coins/<coin_id>.json``: the body of ``/coins/<coin_id>/market_chart`` as the API sent it
  (``prices``, ``market_caps`` and ``total_volumes``: arrays of ``[epoch ms, value]``),
  checked before it is written and written atomically, so a file that exists is complete.

Running it again resumes: coins whose file is complete are skipped, missing or damaged ones
are downloaded. HTTP is the standard library's. Requests are paced (a minimum interval between
them, longer after each 429), retried with exponential backoff and jitter on 408, 429, 5xx,
dropped connections, timeouts and truncated bodies (honouring ``Retry-After``), and fail fast
on any other 4xx. The API key travels in a header and never appears in a message. (The
requests are :mod:`indexlab.sources.coingecko_http`'s, the progress bar
:mod:`indexlab.sources.progress`'s.)

Without a paid plan CoinGecko serves only the past 365 days of history: ``days="max"`` then
fails with HTTP 401 (CoinGecko error 10012), which stops the fetch with that explanation.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import re
import secrets
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from indexlab.sources.coingecko_http import (
    API_KEY_ENV,
    MIN_INTERVAL_S,
    PRO_URL,
    PUBLIC_URL,
    AccessRefusedError,
    CoinGeckoClient,
    FetchError,
    RequestFailed,
    RetryPolicy,
)
from indexlab.sources.progress import Progress, duration_text, eta_seconds

__all__ = [
    "AccessRefusedError",
    "FetchError",
    "FetchSummary",
    "RetryPolicy",
    "fetch_coingecko",
    "market_chart_problem",
]

MARKETS_PAGE_SIZE = 250  # the largest page /coins/markets serves
SERIES = ("prices", "market_caps", "total_volumes")
_COIN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}", re.IGNORECASE)  # also a safe file name
_DAYS = re.compile(r"max|[1-9][0-9]{0,5}")


@dataclass(frozen=True)
class FetchSummary:
    """What one fetch did. ``coin_ids`` are the top N in rank order (as in coins.csv);
    each of them is in exactly one of ``downloaded``, ``skipped`` (its file was complete
    already), ``failed`` (coin id -> one-line reason) or ``not_attempted`` (the fetch
    stopped early, for the reason in ``stopped``)."""

    out_dir: Path
    coin_ids: tuple[str, ...]
    downloaded: tuple[str, ...]
    skipped: tuple[str, ...]
    failed: Mapping[str, str]
    not_attempted: tuple[str, ...]
    stopped: str | None
    requests: int
    elapsed_s: float

    @property
    def ok(self) -> bool:
        """Every coin's file is complete."""
        return not self.failed and not self.not_attempted

    def text(self) -> str:
        """The summary as a few lines of plain text, failures one per line."""
        head = (
            f"CoinGecko top {len(self.coin_ids)} in {self.out_dir}: "
            f"{len(self.downloaded)} downloaded, {len(self.skipped)} already complete, "
            f"{len(self.failed)} failed"
        )
        if self.not_attempted:
            head += f", {len(self.not_attempted)} not attempted"
        lines = [f"{head} ({self.requests} requests, {duration_text(self.elapsed_s)})."]
        lines += [f"  failed: {coin_id}: {reason}" for coin_id, reason in self.failed.items()]
        if self.stopped:
            lines.append(f"  stopped early: {self.stopped}")
        if not self.ok:
            lines.append("Run the same fetch again to retry; complete files are kept.")
        return "\n".join(lines)


def market_chart_problem(data: object) -> str | None:
    """What makes ``data`` not a market_chart reply, or None when it is one: a JSON object
    with the arrays ``prices``, ``market_caps`` and ``total_volumes`` of equal length, each
    item a pair of finite numbers ``[epoch ms, value]``."""
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    length = None
    for name in SERIES:
        series = data.get(name)
        if not isinstance(series, list):
            return f"'{name}' is missing or not an array"
        for i, item in enumerate(series):
            if not (isinstance(item, list) and len(item) == 2 and all(_is_number(x) for x in item)):
                return f"{name}[{i}] is {json.dumps(item)[:60]}, not a pair of numbers"
        if length is not None and len(series) != length:
            return f"'{name}' has {len(series)} points but '{SERIES[0]}' has {length}"
        length = len(series)
    return None


def fetch_coingecko(
    out_dir: str | Path,
    *,
    top: int,
    api_key: str | None = None,
    pro: bool = False,
    base_url: str | None = None,
    vs_currency: str = "usd",
    days: str = "max",
    refresh: bool = False,
    min_interval_s: float | None = None,
    retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen, so sharing it is safe)
    max_failures_in_a_row: int = 3,
    progress: bool | TextIO = True,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> FetchSummary:
    """Download the ``top`` coins by market cap and each one's market_chart into ``out_dir``.

    ``api_key`` (default: ``$COINGECKO_API_KEY``; "" means none) is a demo key, sent as
    ``x-cg-demo-api-key`` to the public host, or with ``pro=True`` a paid key, sent as
    ``x-cg-pro-api-key`` to the pro host. ``base_url`` replaces the host (a mirror, a test
    server). ``days`` is "max" or a whole number of days. Complete files are skipped unless
    ``refresh``. ``min_interval_s`` defaults to :data:`MIN_INTERVAL_S` for the kind of access.

    One coin that cannot be fetched is reported and the others go on; after
    ``max_failures_in_a_row`` failed coins in a row the fetch stops (the API or the network
    is down). A refused key or plan (HTTP 401/403) raises :class:`AccessRefusedError`; an
    unreachable coin list raises :class:`FetchError`. ``progress`` (True: stderr) receives a
    progress bar and the summary; ``sleep``, ``clock`` and ``rng`` are injectable for tests.
    """
    started = clock()
    out_dir = Path(out_dir)
    key = _api_key(api_key)
    access = _check_arguments(top, key, pro, days, vs_currency, max_failures_in_a_row)
    base = _base_url(base_url, pro)
    interval_s = _interval_s(access, min_interval_s)
    stream = sys.stderr if progress is True else (None if progress is False else progress)
    report = Progress(stream)
    client = CoinGeckoClient(
        base, key, access, interval_s, retry, sleep, clock, rng or random.Random()
    )
    client.notify = report.line
    try:
        coins = _top_coins(client, top, vs_currency)
        coins_dir = out_dir / "coins"
        coins_dir.mkdir(parents=True, exist_ok=True)
        _write_coins_csv(out_dir / "coins.csv", coins)
        skipped, todo = _complete_and_todo(coins, coins_dir, refresh, report)
        if len(coins) < top:
            report.line(f"CoinGecko lists only {len(coins)} coins, fewer than the top {top}")
        report.line(
            f"CoinGecko top {len(coins)} ({access} access, one request every "
            f"{interval_s:g} s): {len(skipped)} complete already, {len(todo)} to download"
        )
        outcome = _download_all(
            client, coins_dir, todo, (vs_currency, days), max_failures_in_a_row, report
        )
        summary = FetchSummary(
            out_dir=out_dir,
            coin_ids=tuple(coin_id for coin_id, _, _ in coins),
            skipped=tuple(skipped),
            requests=client.requests,
            elapsed_s=clock() - started,
            **outcome,
        )
        report.line(summary.text())
        return summary
    finally:
        report.close()


def _base_url(base_url: str | None, pro: bool) -> str:
    base = (base_url or (PRO_URL if pro else PUBLIC_URL)).rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https") or "?" in base:
        raise FetchError(f"base URL {base!r}: expected http(s)://host[/path], without a query")
    return base


def _interval_s(access: str, min_interval_s: float | None) -> float:
    interval_s = MIN_INTERVAL_S[access] if min_interval_s is None else float(min_interval_s)
    if not (math.isfinite(interval_s) and interval_s >= 0):
        raise FetchError(f"min_interval_s {min_interval_s!r}: expected seconds >= 0")
    return interval_s


def _complete_and_todo(
    coins: list[tuple[str, str, str]], coins_dir: Path, refresh: bool, report: Progress
) -> tuple[list[str], list[str]]:
    """The coins whose file is complete already (kept unless ``refresh``), and the rest."""
    skipped, todo = [], []
    for coin_id, _, _ in coins:
        path = coins_dir / f"{coin_id}.json"
        if path.exists() and not refresh:
            problem = _file_problem(path)
            if problem is None:
                skipped.append(coin_id)
                continue
            report.line(f"{coin_id}: the file there is incomplete ({problem}); downloading")
        todo.append(coin_id)
    return skipped, todo


def _download_all(
    client: CoinGeckoClient,
    coins_dir: Path,
    todo: list[str],
    chart: tuple[str, str],
    max_failures_in_a_row: int,
    report: Progress,
) -> dict:
    """Download each coin of ``todo`` (``chart``: vs_currency and days) in turn, stopping
    after ``max_failures_in_a_row`` failures in a row. Returns the FetchSummary fields
    ``downloaded``, ``failed``, ``not_attempted`` and ``stopped``."""
    downloaded: list[str] = []
    failed: dict[str, str] = {}
    not_attempted: list[str] = []
    stopped = None
    in_a_row = 0
    loop_started = client.clock()
    for done, coin_id in enumerate(todo):
        eta_s = eta_seconds(client.clock() - loop_started, done, len(todo), client.interval_s)
        report.bar(f"[{done}/{len(todo)}] {coin_id}  ETA {duration_text(eta_s)}")
        counter = f"[{done + 1:>{len(str(len(todo)))}}/{len(todo)}] {coin_id}"
        try:
            points = _download_chart(client, coins_dir, coin_id, *chart)
        except RequestFailed as exc:
            failed[coin_id] = exc.reason
            in_a_row += 1
            report.line(f"{counter}: FAILED: {exc.reason}")
            if in_a_row >= max_failures_in_a_row and done + 1 < len(todo):
                not_attempted = todo[done + 1 :]
                stopped = (
                    f"{in_a_row} coins in a row failed (CoinGecko or the network is down?); "
                    f"{len(not_attempted)} coins not attempted"
                )
                break
        else:
            in_a_row = 0
            downloaded.append(coin_id)
            eta_s = eta_seconds(
                client.clock() - loop_started, done + 1, len(todo), client.interval_s
            )
            report.line(f"{counter}: {points:,} points; ETA {duration_text(eta_s)}", tty=False)
    return {
        "downloaded": tuple(downloaded),
        "failed": failed,
        "not_attempted": tuple(not_attempted),
        "stopped": stopped,
    }


def _api_key(api_key: str | None) -> str | None:
    key = os.environ.get(API_KEY_ENV, "") if api_key is None else api_key
    return key.strip() or None


def _check_arguments(
    top: int, key: str | None, pro: bool, days: str, vs_currency: str, max_failures: int
) -> str:
    """The kind of access ('public', 'demo' or 'pro'), once the arguments are valid."""
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise FetchError(f"top {top!r}: expected a whole number of coins >= 1")
    if not isinstance(days, str) or not _DAYS.fullmatch(days):
        raise FetchError(f"days {days!r}: expected 'max' or a whole number of days >= 1")
    if not re.fullmatch(r"[a-z0-9]{2,10}", vs_currency):
        raise FetchError(f"vs_currency {vs_currency!r}: expected a currency code such as 'usd'")
    if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 1:
        raise FetchError(f"max_failures_in_a_row {max_failures!r}: expected a whole number >= 1")
    if pro and key is None:
        raise FetchError(f"pro access needs a paid API key: pass api_key or set {API_KEY_ENV}")
    if key is not None and not key.isprintable():
        raise FetchError("the API key holds control characters: check how it was pasted")
    return "pro" if pro else ("demo" if key else "public")


def _top_coins(client: CoinGeckoClient, top: int, vs_currency: str) -> list[tuple[str, str, str]]:
    """(coin_id, symbol, name) of the ``top`` coins by market cap, in rank order. Ranks can
    shift between two pages, so a coin seen twice is kept once and paging goes on."""
    coins: dict[str, tuple[str, str, str]] = {}
    last_page = top // MARKETS_PAGE_SIZE + 3  # room for a few duplicates, never endless
    for page in range(1, last_page + 1):
        query = {
            "vs_currency": vs_currency,
            "order": "market_cap_desc",
            "per_page": str(MARKETS_PAGE_SIZE),
            "page": str(page),
        }
        what = f"coin list page {page}"
        try:
            rows, _ = client.get_json("coins/markets", query, what, if_404="is the base URL right?")
        except RequestFailed as exc:
            raise FetchError(f"cannot list the top {top} coins: {exc}") from None
        if not isinstance(rows, list):
            raise FetchError(f"{what}: expected a JSON array of coins, got {type(rows).__name__}")
        for i, row in enumerate(rows, start=1):
            coin_id = row.get("id") if isinstance(row, dict) else None
            if not isinstance(coin_id, str) or not _COIN_ID.fullmatch(coin_id):
                raise FetchError(
                    f"{what}, item {i}: id {coin_id!r} is not a CoinGecko coin id "
                    "(letters, digits, '-', '_' and '.')"
                )
            fields = (coin_id, _text(row.get("symbol")), _text(row.get("name")))
            coins.setdefault(coin_id, fields)
        if len(coins) >= top or len(rows) < MARKETS_PAGE_SIZE:
            break
    if not coins:
        raise FetchError("coin list page 1: CoinGecko listed no coins")
    return list(coins.values())[:top]


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _download_chart(
    client: CoinGeckoClient, coins_dir: Path, coin_id: str, vs_currency: str, days: str
) -> int:
    """Download one coin's market_chart into ``coins_dir``; returns its number of points."""
    path = f"coins/{urllib.parse.quote(coin_id)}/market_chart"
    query = {"vs_currency": vs_currency, "days": days}
    data, body = client.get_json(path, query, coin_id, if_404="no such coin id on CoinGecko?")
    problem = market_chart_problem(data)
    if problem is not None:
        raise RequestFailed(coin_id, f"not a market_chart reply: {problem}")
    _write_atomic(coins_dir / f"{coin_id}.json", body)
    return len(data["prices"])


def _file_problem(path: Path) -> str | None:
    """What makes a downloaded file incomplete, or None when it is complete."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return market_chart_problem(data)


def _write_coins_csv(path: Path, coins: list[tuple[str, str, str]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["coin_id", "symbol", "name"])
    writer.writerows(coins)
    _write_atomic(path, text.getvalue().encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden temporary file in the same folder, so
    ``path`` is either its previous self or complete, whatever interrupts the write."""
    temp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    try:
        with open(temp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
