"""A fake CoinGecko API on 127.0.0.1, for the downloader's tests.

It serves ``/api/v3/coins/markets`` (paged like the real one) and
``/api/v3/coins/{id}/market_chart`` (daily points at 00:00 UTC and an intraday last one,
market caps 0 on a coin's first days, as real histories have), gzipped when asked. Replies
can be scripted per path: any status, headers and body, a dropped connection, a truncated
body or a slow reply. Every request is recorded with its path, query, headers and the
injected clock's time.
"""

from __future__ import annotations

import gzip
import json
import random
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/api/v3/"
DAY_MS = 86_400_000
LAST_MIDNIGHT_MS = 1_753_315_200_000  # 2025-07-24 00:00 UTC
NAMED_COINS = [
    ("bitcoin", "btc", "Bitcoin"),
    ("ethereum", "eth", "Ethereum"),
    ("tether", "usdt", "Tether"),
    ("ripple", "xrp", "XRP"),
    ("binancecoin", "bnb", "BNB"),
    ("solana", "sol", "Solana"),
    ("usd-coin", "usdc", "USDC"),
    ("tron", "trx", "TRON"),
    ("dogecoin", "doge", "Dogecoin"),
    ("cardano", "ada", "Cardano"),
]


@dataclass
class Reply:
    """One scripted reply. ``body`` None: what the real API would send for that status."""

    status: int = 200
    body: bytes | dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without replying
    truncate: bool = False  # announce the whole body, send half of it, close
    delay_s: float = 0.0  # real seconds to wait before replying


@dataclass(frozen=True)
class Seen:
    path: str  # below /api/v3/, e.g. "coins/bitcoin/market_chart"
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    at: float | None  # the injected clock when the request arrived


def chart_path(coin_id: str) -> str:
    return f"coins/{coin_id}/market_chart"


class FakeCoinGecko:
    """``coins`` coins ranked by market cap: the named ones first, then ``coin-0011``...
    ``unknown`` ids are listed but have no history (404). ``rank_shift`` coins of each page
    after the first repeat the end of the previous page, as when ranks move while paging."""

    def __init__(
        self,
        coins: int = 6,
        *,
        clock: Callable[[], float] | None = None,
        unknown: tuple[str, ...] = (),
        rank_shift: int = 0,
    ) -> None:
        names = NAMED_COINS + [
            (f"coin-{i:04d}", f"c{i}", f"Coin {i}") for i in range(len(NAMED_COINS) + 1, coins + 1)
        ]
        self.listing = [
            {
                "id": coin_id,
                "symbol": symbol,
                "name": name,
                "current_price": 1.0,
                "market_cap": 10.0**12 / rank,
                "market_cap_rank": rank,
            }
            for rank, (coin_id, symbol, name) in enumerate(names[:coins], start=1)
        ]
        self.unknown = set(unknown)
        self.rank_shift = rank_shift
        self.clock = clock
        self.on_request: Callable[[], None] | None = None  # e.g. advance the fake clock
        self.requests: list[Seen] = []
        self._scripts: dict[str, list[Reply]] = {}
        self._always: dict[str, Reply] = {}
        self._charts: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v3"

    @property
    def ids(self) -> list[str]:
        return [row["id"] for row in self.listing]

    def __enter__(self) -> FakeCoinGecko:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, path: str, *replies: Reply) -> None:
        """The next replies for ``path`` (below /api/v3/), in order; then normal ones."""
        with self._lock:
            self._scripts.setdefault(path, []).extend(replies)

    def fail_always(self, path: str, reply: Reply) -> None:
        with self._lock:
            self._always[path] = reply

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def chart(self, coin_id: str) -> dict:
        """The market_chart of ``coin_id``: the same every time it is asked for."""
        with self._lock:
            if coin_id not in self._charts:
                self._charts[coin_id] = _make_chart(coin_id, self.ids.index(coin_id) + 1)
            return self._charts[coin_id]

    def _next_reply(self, path: str) -> Reply | None:
        with self._lock:
            queue = self._scripts.get(path)
            if queue:
                return queue.pop(0)
            return self._always.get(path)

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _normal(self, path: str, query: dict[str, str]) -> tuple[int, object]:
        if path == "coins/markets":
            per_page, page = int(query.get("per_page", 100)), int(query.get("page", 1))
            start = max(0, (page - 1) * per_page - (self.rank_shift if page > 1 else 0))
            return 200, self.listing[start : start + per_page]
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "coins" and parts[2] == "market_chart":
            if parts[1] in self.ids and parts[1] not in self.unknown:
                return 200, self.chart(parts[1])
            return 404, {"error": "coin not found"}
        return 404, {"error": "Not Found"}


def _make_chart(coin_id: str, rank: int) -> dict:
    """Daily points at 00:00 UTC (older coins have more), then one intraday point."""
    rng = random.Random(zlib.crc32(coin_id.encode()))
    days = max(20, 400 - 30 * rank)
    supply = rng.uniform(1e7, 1e9)
    price = rng.uniform(0.5, 500.0)
    prices, caps, volumes = [], [], []
    stamps = [LAST_MIDNIGHT_MS - (days - 1 - d) * DAY_MS for d in range(days)]
    stamps.append(stamps[-1] + 42_016_000)  # the last point of a real history is intraday
    for d, stamp in enumerate(stamps):
        price *= rng.lognormvariate(0.0, 0.04)
        prices.append([stamp, price])
        caps.append([stamp, 0.0 if d < 3 else price * supply])  # supply unknown at first
        volumes.append([stamp, price * supply * rng.uniform(0.01, 0.2)])
    return {"prices": prices, "market_caps": caps, "total_volumes": volumes}


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        fake: FakeCoinGecko = self.server.fake  # type: ignore[attr-defined]
        split = urllib.parse.urlsplit(self.path)
        path = split.path.removeprefix(PREFIX)
        query = dict(urllib.parse.parse_qsl(split.query))
        if fake.on_request is not None:
            fake.on_request()
        stamp = fake.clock() if fake.clock is not None else None
        fake._record(Seen(path, query, {k.lower(): v for k, v in self.headers.items()}, stamp))
        reply = fake._next_reply(path) or Reply()
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.drop:
            self.close_connection = True
            return
        if reply.status == 200 and reply.body is None:
            status, body = fake._normal(path, query)
        else:
            status, body = reply.status, reply.body
            if body is None:
                phrase = HTTPStatus(status).phrase
                body = {"status": {"error_code": status, "error_message": phrase}}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
        if "gzip" in self.headers.get("Accept-Encoding", "") and data:
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if reply.truncate:
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
        else:
            self.wfile.write(data)
