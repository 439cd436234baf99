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
on any other 4xx. The API key travels in a header and never appears in a message.

Without a paid plan CoinGecko serves only the past 365 days of history: ``days="max"`` then
fails with HTTP 401 (CoinGecko error 10012), which stops the fetch with that explanation.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import gzip
import http
import http.client
import io
import json
import math
import os
import random
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from indexlab.errors import IndexlabError
from indexlab.version import __version__

PUBLIC_URL = "https://api.coingecko.com/api/v3"
PRO_URL = "https://pro-api.coingecko.com/api/v3"
API_KEY_ENV = "COINGECKO_API_KEY"
MARKETS_PAGE_SIZE = 250  # the largest page /coins/markets serves
SERIES = ("prices", "market_caps", "total_volumes")
# Seconds between the starts of two requests, by kind of access. Keyless access is limited
# per IP address (reportedly 5 to 30 calls a minute); the demo plan documents 100 calls a
# minute, paid plans 250 and more. Each 429 lengthens the interval by half (to at least 1 s),
# up to the maximum.
MIN_INTERVAL_S = {"public": 2.5, "demo": 1.0, "pro": 0.5}
MAX_INTERVAL_S = 20.0
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_COIN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}", re.IGNORECASE)  # also a safe file name
_DAYS = re.compile(r"max|[1-9][0-9]{0,5}")
_TIME_RANGE_ERROR = 10012  # CoinGecko: "Your request exceeds the allowed time range"


class FetchError(IndexlabError):
    """A download that cannot be done: bad arguments, the coin list unreachable, or one
    coin's history that could not be fetched (then it is listed in ``FetchSummary.failed``)."""


class AccessRefusedError(FetchError):
    """CoinGecko refused the key or the plan (HTTP 401 or 403): every further request would
    be refused the same way, so the whole fetch stops."""


class _RequestFailed(FetchError):
    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one request is tried: ``attempts`` in all, the k-th wait (k = 0, 1, ...)
    being ``backoff_s * 2**k`` capped at ``max_backoff_s`` and scaled by a random 0.5-1, or
    what ``Retry-After`` asks for, provided that is at most ``max_retry_after_s``."""

    attempts: int = 6
    backoff_s: float = 2.0
    max_backoff_s: float = 60.0
    max_retry_after_s: float = 300.0
    timeout_s: float = 60.0


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
        lines = [f"{head} ({self.requests} requests, {_duration(self.elapsed_s)})."]
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
    base = (base_url or (PRO_URL if pro else PUBLIC_URL)).rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https") or "?" in base:
        raise FetchError(f"base URL {base!r}: expected http(s)://host[/path], without a query")
    interval_s = MIN_INTERVAL_S[access] if min_interval_s is None else float(min_interval_s)
    if not (math.isfinite(interval_s) and interval_s >= 0):
        raise FetchError(f"min_interval_s {min_interval_s!r}: expected seconds >= 0")
    stream = sys.stderr if progress is True else (None if progress is False else progress)
    report = _Progress(stream)
    client = _Client(base, key, access, interval_s, retry, sleep, clock, rng or random.Random())
    client.notify = report.line
    try:
        coins = _top_coins(client, top, vs_currency)
        coins_dir = out_dir / "coins"
        coins_dir.mkdir(parents=True, exist_ok=True)
        _write_coins_csv(out_dir / "coins.csv", coins)
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
        if len(coins) < top:
            report.line(f"CoinGecko lists only {len(coins)} coins, fewer than the top {top}")
        report.line(
            f"CoinGecko top {len(coins)} ({access} access, one request every "
            f"{interval_s:g} s): {len(skipped)} complete already, {len(todo)} to download"
        )
        downloaded: list[str] = []
        failed: dict[str, str] = {}
        not_attempted: list[str] = []
        stopped = None
        in_a_row = 0
        loop_started = clock()
        for done, coin_id in enumerate(todo):
            eta_s = _eta_s(clock() - loop_started, done, len(todo), client.interval_s)
            report.bar(f"[{done}/{len(todo)}] {coin_id}  ETA {_duration(eta_s)}")
            counter = f"[{done + 1:>{len(str(len(todo)))}}/{len(todo)}] {coin_id}"
            try:
                points = _download_chart(client, coins_dir, coin_id, vs_currency, days)
            except _RequestFailed as exc:
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
                eta_s = _eta_s(clock() - loop_started, done + 1, len(todo), client.interval_s)
                report.line(f"{counter}: {points:,} points; ETA {_duration(eta_s)}", tty=False)
        summary = FetchSummary(
            out_dir=out_dir,
            coin_ids=tuple(coin_id for coin_id, _, _ in coins),
            downloaded=tuple(downloaded),
            skipped=tuple(skipped),
            failed=failed,
            not_attempted=tuple(not_attempted),
            stopped=stopped,
            requests=client.requests,
            elapsed_s=clock() - started,
        )
        report.line(summary.text())
        return summary
    finally:
        report.close()


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


class _Client:
    """GET requests to the API: paced, retried, and turned into one-line errors."""

    def __init__(
        self,
        base_url: str,
        key: str | None,
        access: str,
        interval_s: float,
        retry: RetryPolicy,
        sleep: Callable[[float], object],
        clock: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self.base_url = base_url
        self.key = key
        self.access = access
        self.interval_s = interval_s
        self.retry = retry
        self.sleep = sleep
        self.clock = clock
        self.rng = rng
        self.headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "User-Agent": f"indexlab/{__version__} (+urllib)",
        }
        if key is not None:
            self.headers["x-cg-pro-api-key" if access == "pro" else "x-cg-demo-api-key"] = key
        self.requests = 0
        self.notify: Callable[[str], None] = lambda text: None
        self._last_start: float | None = None

    def get_json(
        self, path: str, query: Mapping[str, str], what: str, *, if_404: str
    ) -> tuple[object, bytes]:
        """The parsed JSON body of a 200 reply to ``path?query``, and the body's bytes.
        ``what`` starts error messages; ``if_404`` is the likely cause of a 404."""
        url = f"{self.base_url}/{path}?{urllib.parse.urlencode(query)}"
        attempts = max(1, self.retry.attempts)
        for attempt in range(1, attempts + 1):
            self._pace()
            wait_s = None
            try:
                status, headers, body = self._send(url)
            except (OSError, http.client.HTTPException, EOFError, zlib.error) as exc:
                last = _describe_exception(exc)  # refused, reset, timed out, truncated
            else:
                if status == 200:
                    try:
                        return json.loads(body), body
                    except ValueError:
                        last = f"a reply that is not complete JSON ({len(body):,} bytes)"
                elif status in RETRYABLE_STATUS:
                    last = self._describe_status(status, body)
                    wait_s = _retry_after_s(headers.get("Retry-After"))
                    if status == 429:
                        self.interval_s = min(max(self.interval_s * 1.5, 1.0), MAX_INTERVAL_S)
                else:
                    self._fail_fast(status, body, what, if_404)
            if attempt == attempts:
                break
            if wait_s is not None and wait_s > self.retry.max_retry_after_s:
                raise _RequestFailed(
                    what,
                    f"{last}, and CoinGecko asks to wait {wait_s:.0f} s (Retry-After), more "
                    f"than the {self.retry.max_retry_after_s:g} s allowed",
                )
            if wait_s is None:
                backoff_s = self.retry.backoff_s * 2 ** (attempt - 1)
                wait_s = min(backoff_s, self.retry.max_backoff_s) * (0.5 + 0.5 * self.rng.random())
            self.notify(f"{what}: {last}; retry {attempt} of {attempts - 1} in {wait_s:.1f} s")
            self.sleep(wait_s)
        raise _RequestFailed(what, f"gave up after {attempts} attempts; last: {last}")

    def _pace(self) -> None:
        if self._last_start is not None:
            wait_s = self._last_start + self.interval_s - self.clock()
            if wait_s > 0:
                self.sleep(wait_s)
        self._last_start = self.clock()
        self.requests += 1

    def _send(self, url: str) -> tuple[int, Mapping[str, str], bytes]:
        request = urllib.request.Request(url, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.retry.timeout_s) as response:
                body = _decoded(response.read(), response.headers)
                return response.status, response.headers, body
        except urllib.error.HTTPError as exc:
            with exc:
                try:
                    body = _decoded(exc.read(), exc.headers)
                except (OSError, http.client.HTTPException, EOFError, zlib.error):
                    body = b""  # the status says enough
            return exc.code, exc.headers, body

    def _describe_status(self, status: int, body: bytes) -> str:
        code, message = _api_error(body)
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        text = f"HTTP {status} {phrase}".rstrip()
        if code is not None and code != status:
            text += f", CoinGecko error {code}"
        if message and message.lower() != phrase.lower():
            text += f": {self._redact(message)}"
        return text

    def _fail_fast(self, status: int, body: bytes, what: str, if_404: str) -> None:
        """Raise the error for a reply that no retry would change."""
        described = self._describe_status(status, body)
        code, _ = _api_error(body)
        if code == _TIME_RANGE_ERROR:
            raise AccessRefusedError(
                f"{what}: CoinGecko serves only the past 365 days without a paid plan "
                f"({described}); ask for days=365 or fewer, or use a paid key with pro"
            )
        if status in (401, 403):
            if self.key is None:
                raise AccessRefusedError(
                    f"{what}: CoinGecko refused the request without an API key ({described}); "
                    f"set {API_KEY_ENV}"
                )
            hint = (
                "; a pro key needs the pro host (pro=True), a demo key the public host"
                if code in (10010, 10011)
                else "; check the key (it is not shown here)"
            )
            raise AccessRefusedError(
                f"{what}: CoinGecko refused the {self.access} API key ({described}){hint}"
            )
        if status == 404:
            raise _RequestFailed(what, f"{described} ({if_404})")
        raise _RequestFailed(what, described)

    def _redact(self, text: str) -> str:
        return text.replace(self.key, "***") if self.key else text


def _decoded(body: bytes, headers: Mapping[str, str]) -> bytes:
    encoding = headers.get("Content-Encoding") or ""
    return gzip.decompress(body) if encoding.strip().lower() == "gzip" else body


def _api_error(body: bytes) -> tuple[int | None, str]:
    """CoinGecko's error code and message from an error reply's body, in any of its shapes:
    ``{"error": {"status": {...}}}``, ``{"status": {...}}`` or ``{"error": "text"}``."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        text = body[:200].decode("utf-8", "replace")
        return None, "" if "<" in text else " ".join(text.split())
    error = data.get("error")
    if isinstance(error, str):
        return None, " ".join(error.split())[:200]
    status = error.get("status") if isinstance(error, dict) else data.get("status")
    if not isinstance(status, dict):
        return None, ""
    code = status.get("error_code")
    message = " ".join(str(status.get("error_message") or "").split())
    return (code if isinstance(code, int) else None), message[:200]


def _retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _describe_exception(exc: BaseException) -> str:
    if isinstance(exc, http.client.IncompleteRead):
        return f"a truncated reply ({len(exc.partial):,} bytes, {exc.expected:,} more expected)"
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return "a truncated or damaged gzip reply"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError):
        return "no reply in time (timeout)"
    text = str(exc) or type(exc).__name__
    return f"a connection error ({type(exc).__name__}: {text})"


def _top_coins(client: _Client, top: int, vs_currency: str) -> list[tuple[str, str, str]]:
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
        except _RequestFailed as exc:
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
    client: _Client, coins_dir: Path, coin_id: str, vs_currency: str, days: str
) -> int:
    """Download one coin's market_chart into ``coins_dir``; returns its number of points."""
    path = f"coins/{urllib.parse.quote(coin_id)}/market_chart"
    query = {"vs_currency": vs_currency, "days": days}
    data, body = client.get_json(path, query, coin_id, if_404="no such coin id on CoinGecko?")
    problem = market_chart_problem(data)
    if problem is not None:
        raise _RequestFailed(coin_id, f"not a market_chart reply: {problem}")
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


def _eta_s(elapsed_s: float, done: int, total: int, interval_s: float) -> float:
    """Seconds left: the mean time per coin so far (the request interval before the first)
    times the coins left."""
    per_coin_s = elapsed_s / done if done else interval_s
    return per_coin_s * (total - done)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class _Progress:
    """Progress on a text stream: on a terminal one bar redrawn with '\\r' plus the lines
    that must stay; elsewhere (a log file, a pipe) only lines, one per coin."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self._drawn = 0  # length of the bar on screen

    def bar(self, text: str) -> None:
        if self.stream is not None and self.tty:
            self.stream.write("\r" + text.ljust(self._drawn))
            self._drawn = len(text)
            self.stream.flush()

    def line(self, text: str, *, tty: bool = True) -> None:
        """A line that stays; ``tty=False``: only when there is no bar to show it instead."""
        if self.stream is None or (self.tty and not tty):
            return
        self._erase()
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self._erase()
            self.stream.flush()

    def _erase(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self._drawn = 0
