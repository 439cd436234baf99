"""HTTP for the CoinGecko API: paced, retried GET requests and one-line errors.

Requests are paced (a minimum interval between their starts, longer after each 429),
retried with exponential backoff and jitter on 408, 429, 5xx, dropped connections,
timeouts and truncated bodies (honouring ``Retry-After``), and fail fast on any other
4xx, on a host name that does not resolve and on a refused connection (no retry would
change those: without a network, ``data fetch`` fails in a second, not after minutes).
The API key travels in a header and never appears in a message. HTTP is the standard
library's. Used by :func:`indexlab.sources.coingecko_fetch.fetch_coingecko`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import http
import http.client
import json
import math
import random
import socket
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from indexlab.errors import IndexlabError
from indexlab.version import __version__

PUBLIC_URL = "https://api.coingecko.com/api/v3"
PRO_URL = "https://pro-api.coingecko.com/api/v3"
API_KEY_ENV = "COINGECKO_API_KEY"
# Seconds between the starts of two requests, by kind of access. Keyless access is limited
# per IP address (reportedly 5 to 30 calls a minute); the demo plan documents 100 calls a
# minute, paid plans 250 and more. Each 429 lengthens the interval by half (to at least 1 s),
# up to the maximum.
MIN_INTERVAL_S = {"public": 2.5, "demo": 1.0, "pro": 0.5}
MAX_INTERVAL_S = 20.0
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_TIME_RANGE_ERROR = 10012  # CoinGecko: "Your request exceeds the allowed time range"


class FetchError(IndexlabError):
    """A download that cannot be done: bad arguments, the coin list unreachable, or one
    coin's history that could not be fetched (then it is listed in ``FetchSummary.failed``)."""


class AccessRefusedError(FetchError):
    """CoinGecko refused the key or the plan (HTTP 401 or 403): every further request would
    be refused the same way, so the whole fetch stops."""


class RequestFailed(FetchError):
    """One request that failed for good; ``reason`` says why in a line."""

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


class CoinGeckoClient:
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
                unreachable = _unreachable(exc, url)
                if unreachable is not None:  # every retry would fail the same way
                    raise RequestFailed(what, unreachable) from None
                last = _describe_exception(exc)  # reset, timed out, truncated
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
                raise RequestFailed(
                    what,
                    f"{last}, and CoinGecko asks to wait {wait_s:.0f} s (Retry-After), more "
                    f"than the {self.retry.max_retry_after_s:g} s allowed",
                )
            if wait_s is None:
                backoff_s = self.retry.backoff_s * 2 ** (attempt - 1)
                wait_s = min(backoff_s, self.retry.max_backoff_s) * (0.5 + 0.5 * self.rng.random())
            self.notify(f"{what}: {last}; retry {attempt} of {attempts - 1} in {wait_s:.1f} s")
            self.sleep(wait_s)
        raise RequestFailed(what, f"gave up after {attempts} attempts; last: {last}")

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
            raise RequestFailed(what, f"{described} ({if_404})")
        raise RequestFailed(what, described)

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


def _unreachable(exc: BaseException, url: str) -> str | None:
    """Why no retry could reach the host of ``url`` (its name does not resolve, or it
    refuses the connection), or None when a retry may succeed."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    host = urllib.parse.urlsplit(url).hostname or url
    if isinstance(exc, socket.gaierror):
        detail = exc.strerror or str(exc)
        return (
            f"cannot resolve {host} ({detail}): no network connection or DNS, or a wrong "
            "base URL; not retried"
        )
    if isinstance(exc, ConnectionRefusedError):
        return (
            f"{host} refused the connection (nothing listens there: check the base URL or "
            "proxy); not retried"
        )
    return None


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
