"""A download that no retry can cure fails at once, in one line (issue 13, item 17):
a host name that does not resolve, a refused connection, an HTTP 4xx other than 429
(and 408, a timeout). Transient failures are still retried. No request leaves the
machine (urlopen is replaced) and nothing really sleeps."""

from __future__ import annotations

import email.message
import io
import random
import socket
import urllib.error
import urllib.request

import pytest

from indexlab import cli
from indexlab.sources import coingecko_fetch
from indexlab.sources.coingecko_http import CoinGeckoClient, RequestFailed, RetryPolicy

ATTEMPTS = 5
NO_DNS = urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution"))
NO_SUCH_HOST = urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))
REFUSED = urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))


def _http_error(status: int) -> urllib.error.HTTPError:
    headers = email.message.Message()
    headers["Content-Type"] = "application/json"
    body = io.BytesIO(b'{"error": "nope"}')
    return urllib.error.HTTPError("https://api.example/x", status, "", headers, body)


class Opener:
    """urlopen that raises ``failure`` on every call and counts the calls."""

    def __init__(self, failure: BaseException) -> None:
        self.failure, self.calls = failure, 0

    def __call__(self, request, timeout=None):
        self.calls += 1
        if isinstance(self.failure, urllib.error.HTTPError):  # a fresh body each time
            raise _http_error(self.failure.code)
        raise self.failure


def _client(sleeps: list[float]) -> CoinGeckoClient:
    return CoinGeckoClient(
        "https://api.coingecko.com/api/v3",
        None,
        "public",
        0.0,
        RetryPolicy(attempts=ATTEMPTS),
        sleeps.append,
        lambda: 0.0,
        random.Random(1),
    )


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (NO_DNS, "cannot resolve api.coingecko.com"),
        (NO_SUCH_HOST, "cannot resolve api.coingecko.com"),
        (REFUSED, "api.coingecko.com refused the connection"),
        (ConnectionRefusedError(111, "Connection refused"), "refused the connection"),
        (_http_error(404), "HTTP 404 Not Found"),
        (_http_error(400), "HTTP 400 Bad Request"),
        (_http_error(410), "HTTP 410 Gone"),
    ],
    ids=["dns", "no-such-host", "refused", "refused-raw", "404", "400", "410"],
)
def test_failures_no_retry_can_cure_fail_at_once(monkeypatch, failure, says):
    opener = Opener(failure)
    monkeypatch.setattr(urllib.request, "urlopen", opener)
    sleeps: list[float] = []
    with pytest.raises(RequestFailed, match=says) as caught:
        _client(sleeps).get_json("coins/markets", {}, "coin list page 1", if_404="?")
    assert opener.calls == 1 and sleeps == []
    assert "\n" not in str(caught.value) and str(caught.value).startswith("coin list page 1: ")


@pytest.mark.parametrize(
    "failure",
    [
        _http_error(429),
        _http_error(408),
        _http_error(503),
        urllib.error.URLError(ConnectionResetError(104, "Connection reset by peer")),
        TimeoutError("timed out"),
    ],
    ids=["429", "408", "503", "reset", "timeout"],
)
def test_failures_a_retry_may_cure_are_retried(monkeypatch, failure):
    opener = Opener(failure)
    monkeypatch.setattr(urllib.request, "urlopen", opener)
    sleeps: list[float] = []
    with pytest.raises(RequestFailed, match=f"gave up after {ATTEMPTS} attempts"):
        _client(sleeps).get_json("coins/markets", {}, "coin list page 1", if_404="?")
    assert opener.calls == ATTEMPTS and len(sleeps) >= ATTEMPTS - 1  # 429 also slows the pace


def test_data_fetch_without_network_fails_at_once_in_one_line(monkeypatch, tmp_path, capsys):
    opener = Opener(NO_DNS)
    monkeypatch.setattr(urllib.request, "urlopen", opener)
    sleeps: list[float] = []
    monkeypatch.setitem(coingecko_fetch.fetch_coingecko.__kwdefaults__, "sleep", sleeps.append)
    argv = ["data", "fetch", "coingecko", "--top", "3", "--out", str(tmp_path), "--quiet"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert opener.calls == 1 and sleeps == []
    assert err.count("\n") == 1 and err.startswith("indexlab: error: cannot list the top 3")
    assert "cannot resolve api.coingecko.com" in err
