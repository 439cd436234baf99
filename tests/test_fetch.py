"""The CoinGecko downloader against a fake CoinGecko on 127.0.0.1: the files it writes,
pacing, retries, resuming, precise failures, and the API key kept out of every message.
Time is injected (a fake clock that only sleep advances), so nothing really waits."""

from __future__ import annotations

import csv
import io
import json
import os
import random

import pytest
from fake_coingecko import FakeCoinGecko, Reply, chart_path

from indexlab.errors import IndexlabError
from indexlab.sources.coingecko_fetch import (
    AccessRefusedError,
    FetchError,
    RetryPolicy,
    fetch_coingecko,
    market_chart_problem,
)

KEY = "CG-sEcReT-key-0123456789"


class FakeTime:
    """A monotonic clock that only moves when slept on (or when a test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch):
    monkeypatch.delenv("COINGECKO_API_KEY", raising=False)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server(fake_time):
    with FakeCoinGecko(6, clock=fake_time.clock) as fake:
        yield fake


def fetch(server, fake_time, out, **options):
    """fetch_coingecko against ``server`` with fake time and no pacing unless asked."""
    options.setdefault("top", 4)
    options.setdefault("min_interval_s", 0.0)
    options.setdefault("progress", io.StringIO())
    return fetch_coingecko(
        out,
        base_url=server.url,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        rng=random.Random(1),
        **options,
    )


def chart_requests(server) -> list[str]:
    return [r.path.split("/")[1] for r in server.requests if r.path.endswith("/market_chart")]


def request_gaps(server) -> list[float]:
    return [b.at - a.at for a, b in zip(server.requests, server.requests[1:], strict=False)]


def leftovers(out) -> list[str]:
    return sorted(p.name for p in (out / "coins").iterdir() if not p.name.endswith(".json"))


# -- a full fetch ---------------------------------------------------------------------------


def test_full_fetch_writes_coins_csv_and_one_complete_history_per_coin(server, fake_time, tmp_path):
    out = tmp_path / "cg"
    summary = fetch(server, fake_time, out, top=4)
    top4 = server.ids[:4]
    with (out / "coins.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["coin_id", "symbol", "name"]
    assert rows[1:] == [[c["id"], c["symbol"], c["name"]] for c in server.listing[:4]]
    assert sorted(p.name for p in (out / "coins").iterdir()) == sorted(f"{c}.json" for c in top4)
    for coin_id in top4:
        assert json.loads((out / "coins" / f"{coin_id}.json").read_text()) == server.chart(coin_id)
    assert summary.ok and summary.coin_ids == tuple(top4) and summary.downloaded == tuple(top4)
    assert summary.skipped == () and dict(summary.failed) == {} and summary.requests == 5
    markets = server.seen("coins/markets")
    assert [r.query for r in markets] == [
        {"vs_currency": "usd", "order": "market_cap_desc", "per_page": "250", "page": "1"}
    ]
    assert chart_requests(server) == top4
    assert all(r.query == {"vs_currency": "usd", "days": "max"} for r in server.requests[1:])


def test_days_and_currency_are_passed_on(server, fake_time, tmp_path):
    fetch(server, fake_time, tmp_path, top=2, days="365", vs_currency="eur")
    assert {r.query["vs_currency"] for r in server.requests} == {"eur"}
    assert [r.query["days"] for r in server.requests[1:]] == ["365", "365"]


def test_paging_keeps_rank_order_and_drops_a_coin_seen_on_two_pages(fake_time, tmp_path):
    # 255 coins: page 2 starts again with the last coin of page 1 (its rank moved).
    with FakeCoinGecko(255, clock=fake_time.clock, rank_shift=1) as server:
        summary = fetch(server, fake_time, tmp_path, top=252)
        pages = [r.query["page"] for r in server.seen("coins/markets")]
    assert pages == ["1", "2"]
    assert summary.coin_ids == tuple(server.ids[:252])
    with (tmp_path / "coins.csv").open(newline="") as handle:
        assert [row["coin_id"] for row in csv.DictReader(handle)] == server.ids[:252]
    assert len(list((tmp_path / "coins").glob("*.json"))) == 252


def test_fewer_coins_listed_than_asked_for_fetches_what_there_is(server, fake_time, tmp_path):
    summary = fetch(server, fake_time, tmp_path, top=10)
    assert summary.ok and summary.coin_ids == tuple(server.ids)
    assert len(server.seen("coins/markets")) == 1  # a short page is the last one


def test_an_empty_coin_list_is_a_fetch_error(fake_time, tmp_path):
    with FakeCoinGecko(0) as server, pytest.raises(FetchError, match="listed no coins"):
        fetch(server, fake_time, tmp_path)


# -- pacing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "interval_s"),
    [({}, 2.5), ({"api_key": KEY}, 1.0), ({"min_interval_s": 4.0}, 4.0)],
    ids=["public", "demo-key", "explicit"],
)
def test_requests_start_at_least_the_minimum_interval_apart(
    server, fake_time, tmp_path, options, interval_s
):
    options.setdefault("min_interval_s", None)
    fetch(server, fake_time, tmp_path, top=4, **options)
    gaps = request_gaps(server)
    assert len(gaps) == 4
    assert gaps == pytest.approx([interval_s] * 4)  # kept, and no longer than needed


def test_time_spent_in_a_request_counts_towards_the_interval(server, fake_time, tmp_path):
    server.on_request = lambda: fake_time.sleep(1.0)  # each reply takes 1 s
    fetch(server, fake_time, tmp_path, top=3, min_interval_s=2.5)
    assert request_gaps(server) == pytest.approx([2.5] * 3)
    waits = [s for s in fake_time.sleeps if s != 1.0]
    assert waits == pytest.approx([1.5] * 3)


# -- retries ------------------------------------------------------------------------------------


def test_retry_after_is_honoured(server, fake_time, tmp_path):
    second = server.ids[1]
    server.script(chart_path(second), Reply(429, headers={"Retry-After": "7"}))
    summary = fetch(server, fake_time, tmp_path, top=3)
    assert summary.ok and second in summary.downloaded
    assert fake_time.sleeps[0] == 7.0
    assert len(server.seen(chart_path(second))) == 2


def test_a_retry_after_beyond_the_limit_fails_the_coin_without_waiting(server, fake_time, tmp_path):
    first = server.ids[0]
    server.script(chart_path(first), Reply(429, headers={"Retry-After": "3600"}))
    summary = fetch(server, fake_time, tmp_path, top=2)
    assert "Retry-After" in summary.failed[first] and "3600" in summary.failed[first]
    assert 3600 not in fake_time.sleeps and summary.downloaded == (server.ids[1],)


def test_429_backs_off_and_slows_the_pace_for_the_rest(server, fake_time, tmp_path):
    first = server.ids[0]
    server.script(chart_path(first), Reply(429), Reply(429))
    retry = RetryPolicy(backoff_s=4.0)
    summary = fetch(server, fake_time, tmp_path, top=4, min_interval_s=1.0, retry=retry)
    assert summary.ok
    gaps = request_gaps(server)
    assert len(gaps) == 6 and gaps[0] == pytest.approx(1.0)
    assert 2.0 <= gaps[1] <= 4.0 and 4.0 <= gaps[2] <= 8.0  # 4 s then 8 s, with jitter
    # Two 429s: the interval grew from 1 s to 1.5 s to 2.25 s for the later coins.
    assert gaps[3:] == pytest.approx([2.25] * 3)


@pytest.mark.parametrize(
    "failure",
    [
        Reply(500),
        Reply(502, body=b"<html>Bad Gateway</html>"),
        Reply(503),
        Reply(408),
        Reply(drop=True),
        Reply(truncate=True),
        Reply(body=b'{"prices": [[1367107200000, 135.3]'),  # a 200 whose JSON is cut short
        Reply(delay_s=1.5),  # longer than the 1 s timeout
    ],
    ids=["500", "502-html", "503", "408", "dropped", "truncated", "cut-json", "timeout"],
)
def test_transient_failures_are_retried_until_the_history_is_complete(
    server, fake_time, tmp_path, failure
):
    first = server.ids[0]
    server.script(chart_path(first), failure)
    # 1 s: short enough for a quick test, long enough that the other requests do not
    # time out on a loaded machine (0.2 s did, now and then, and retried them too).
    retry = RetryPolicy(timeout_s=1.0)
    summary = fetch(server, fake_time, tmp_path, top=2, retry=retry)
    assert summary.ok, summary.text()
    assert len(server.seen(chart_path(first))) == 2
    assert json.loads((tmp_path / "coins" / f"{first}.json").read_text()) == server.chart(first)
    assert len(fake_time.sleeps) == 1 and 1.0 <= fake_time.sleeps[0] <= 2.0
    assert leftovers(tmp_path) == []


def test_backoff_grows_exponentially_with_jitter(server, fake_time, tmp_path):
    first = server.ids[0]
    server.script(chart_path(first), Reply(500), Reply(502), Reply(503), Reply(500))
    fetch(server, fake_time, tmp_path, top=1, retry=RetryPolicy(backoff_s=1.0, max_backoff_s=5.0))
    waits = fake_time.sleeps
    assert len(waits) == 4
    for wait, nominal in zip(waits, [1.0, 2.0, 4.0, 5.0], strict=True):
        assert nominal / 2 <= wait <= nominal
    assert waits != [1.0, 2.0, 4.0, 5.0]  # jittered, so many clients do not retry in step


def test_a_permanent_5xx_fails_that_coin_and_the_others_complete(server, fake_time, tmp_path):
    broken = server.ids[1]
    server.fail_always(chart_path(broken), Reply(503))
    progress = io.StringIO()
    summary = fetch(
        server, fake_time, tmp_path, top=4, retry=RetryPolicy(attempts=3), progress=progress
    )
    assert not summary.ok
    assert list(summary.failed) == [broken]
    reason = summary.failed[broken]
    assert "gave up after 3 attempts" in reason and "HTTP 503 Service Unavailable" in reason
    assert summary.downloaded == tuple(c for c in server.ids[:4] if c != broken)
    assert len(server.seen(chart_path(broken))) == 3
    assert not (tmp_path / "coins" / f"{broken}.json").exists()
    assert f"failed: {broken}: gave up after 3 attempts" in summary.text()
    assert f"{broken}: FAILED: gave up" in progress.getvalue()


def test_failures_in_a_row_stop_the_fetch_and_say_what_was_left(server, fake_time, tmp_path):
    for coin_id in server.ids:
        server.fail_always(chart_path(coin_id), Reply(502))
    summary = fetch(
        server,
        fake_time,
        tmp_path,
        top=5,
        retry=RetryPolicy(attempts=2),
        max_failures_in_a_row=2,
    )
    assert list(summary.failed) == server.ids[:2]
    assert summary.not_attempted == tuple(server.ids[2:5])
    assert "2 coins in a row failed" in summary.stopped and not summary.ok
    assert chart_requests(server) == [server.ids[0]] * 2 + [server.ids[1]] * 2


def test_a_failure_between_successes_does_not_stop_the_fetch(server, fake_time, tmp_path):
    for coin_id in server.ids[0:4:2]:
        server.fail_always(chart_path(coin_id), Reply(500))
    summary = fetch(
        server, fake_time, tmp_path, top=4, retry=RetryPolicy(attempts=1), max_failures_in_a_row=2
    )
    assert list(summary.failed) == server.ids[0:4:2] and summary.not_attempted == ()


# -- precise failures ---------------------------------------------------------------------------


def test_404_fails_that_coin_at_once_and_precisely(fake_time, tmp_path):
    with FakeCoinGecko(4, clock=fake_time.clock, unknown=("tether",)) as server:
        summary = fetch(server, fake_time, tmp_path, top=4)
        assert len(server.seen(chart_path("tether"))) == 1
    assert list(summary.failed) == ["tether"]
    assert summary.failed["tether"] == (
        "HTTP 404 Not Found: coin not found (no such coin id on CoinGecko?)"
    )
    assert fake_time.sleeps == []
    assert summary.downloaded == ("bitcoin", "ethereum", "ripple")


def test_a_reply_of_the_wrong_shape_fails_that_coin_without_a_retry(server, fake_time, tmp_path):
    first = server.ids[0]
    bad = {"prices": [[1, 2.0], [2, 3.0]], "market_caps": [[1, 5.0]], "total_volumes": []}
    server.script(chart_path(first), Reply(body=bad))
    summary = fetch(server, fake_time, tmp_path, top=2)
    assert summary.failed[first] == (
        "not a market_chart reply: 'market_caps' has 1 points but 'prices' has 2"
    )
    assert len(server.seen(chart_path(first))) == 1
    assert not (tmp_path / "coins" / f"{first}.json").exists()


def test_a_refused_key_stops_the_fetch_and_never_shows_the_key(server, fake_time, tmp_path, capsys):
    echo = {"status": {"error_code": 10002, "error_message": f"Invalid API key {KEY}"}}
    server.script("coins/markets", Reply(401, body=echo))
    progress = io.StringIO()
    with pytest.raises(AccessRefusedError) as caught:
        fetch(server, fake_time, tmp_path, api_key=KEY, progress=progress)
    message = str(caught.value)
    assert "refused the demo API key" in message and "HTTP 401" in message
    assert "error 10002" in message and "***" in message
    assert "\n" not in message
    captured = capsys.readouterr()
    for text in (message, progress.getvalue(), captured.out, captured.err):
        assert KEY not in text
    assert chart_requests(server) == []


def test_a_key_refused_mid_way_stops_before_the_next_coin(server, fake_time, tmp_path):
    second = server.ids[1]
    server.script(chart_path(second), Reply(401))
    with pytest.raises(AccessRefusedError, match=f"^{second}: CoinGecko refused the pro API key"):
        fetch(server, fake_time, tmp_path, top=4, api_key=KEY, pro=True)
    assert chart_requests(server) == server.ids[:2]


def test_401_without_a_key_says_to_set_one(server, fake_time, tmp_path):
    server.script("coins/markets", Reply(401))
    with pytest.raises(AccessRefusedError, match="without an API key.*COINGECKO_API_KEY"):
        fetch(server, fake_time, tmp_path)


def test_days_max_refused_by_the_plan_says_what_to_ask_for(server, fake_time, tmp_path):
    # What the real API answers a keyless or demo days=max request since 2024.
    body = {
        "error": {
            "status": {
                "timestamp": "2024-04-20T22:00:05.123+00:00",
                "error_code": 10012,
                "error_message": "Your request exceeds the allowed time range. Public API "
                "users are limited to querying historical data within the past 365 days.",
            }
        }
    }
    server.script(chart_path(server.ids[0]), Reply(401, body=body))
    with pytest.raises(AccessRefusedError, match="only the past 365 days.*days=365 or fewer"):
        fetch(server, fake_time, tmp_path, top=3)
    assert len(chart_requests(server)) == 1


def test_an_unreachable_coin_list_is_a_fetch_error(fake_time, tmp_path):
    with FakeCoinGecko(3) as server:
        server.fail_always("coins/markets", Reply(503))
        with pytest.raises(FetchError, match="^cannot list the top 4 coins: coin list page 1"):
            fetch(server, fake_time, tmp_path, retry=RetryPolicy(attempts=2))
    assert not (tmp_path / "coins.csv").exists()


# -- the key ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "env", "header"),
    [
        ({}, None, None),
        ({"api_key": KEY}, None, "x-cg-demo-api-key"),
        ({}, KEY, "x-cg-demo-api-key"),
        ({"api_key": KEY, "pro": True}, None, "x-cg-pro-api-key"),
        ({"api_key": ""}, KEY, None),  # "" turns the environment's key off
    ],
    ids=["none", "demo", "environment", "pro", "switched-off"],
)
def test_the_key_header_is_sent_exactly_when_a_key_is_given(
    server, fake_time, tmp_path, monkeypatch, options, env, header
):
    if env is not None:
        monkeypatch.setenv("COINGECKO_API_KEY", env)
    fetch(server, fake_time, tmp_path, top=2, **options)
    assert len(server.requests) == 3
    for request in server.requests:
        sent = {k: v for k, v in request.headers.items() if "api-key" in k}
        assert sent == ({header: KEY} if header else {})
        assert KEY not in request.path and KEY not in json.dumps(request.query)


# -- resuming and atomic files ------------------------------------------------------------------


def test_resume_skips_complete_files_and_downloads_damaged_or_missing_ones(
    server, fake_time, tmp_path
):
    fetch(server, fake_time, tmp_path, top=6)
    coins = tmp_path / "coins"
    cut, wrong, gone, *complete = server.ids
    text = (coins / f"{cut}.json").read_text()
    (coins / f"{cut}.json").write_text(text[: len(text) // 2])
    (coins / f"{wrong}.json").write_text(json.dumps({"prices": [], "market_caps": []}))
    (coins / f"{gone}.json").unlink()
    untouched = {c: (coins / f"{c}.json").stat().st_mtime_ns for c in complete}
    server.requests.clear()
    progress = io.StringIO()
    summary = fetch(server, fake_time, tmp_path, top=6, progress=progress)
    assert chart_requests(server) == [cut, wrong, gone]  # none for the complete ones
    assert summary.downloaded == (cut, wrong, gone) and summary.skipped == tuple(complete)
    assert summary.ok
    for coin_id in server.ids:
        assert json.loads((coins / f"{coin_id}.json").read_text()) == server.chart(coin_id)
    assert {c: (coins / f"{c}.json").stat().st_mtime_ns for c in complete} == untouched
    assert f"{cut}: the file there is incomplete" in progress.getvalue()
    assert "'total_volumes' is missing" in progress.getvalue()


def test_refresh_downloads_complete_files_again(server, fake_time, tmp_path):
    fetch(server, fake_time, tmp_path, top=2)
    server.requests.clear()
    summary = fetch(server, fake_time, tmp_path, top=2, refresh=True)
    assert summary.downloaded == tuple(server.ids[:2]) and chart_requests(server) == server.ids[:2]


def test_a_truncated_reply_never_leaves_a_partial_file(server, fake_time, tmp_path):
    first = server.ids[0]
    server.fail_always(chart_path(first), Reply(truncate=True))
    summary = fetch(server, fake_time, tmp_path, top=2, retry=RetryPolicy(attempts=2))
    assert "truncated reply" in summary.failed[first]
    assert not (tmp_path / "coins" / f"{first}.json").exists()
    assert leftovers(tmp_path) == []
    # A complete file survives a failed refresh of it unchanged.
    server.fail_always(chart_path(first), Reply())
    fetch(server, fake_time, tmp_path, top=1)
    before = (tmp_path / "coins" / f"{first}.json").read_bytes()
    server.fail_always(chart_path(first), Reply(truncate=True))
    summary = fetch(server, fake_time, tmp_path, top=1, refresh=True)
    assert not summary.ok
    assert (tmp_path / "coins" / f"{first}.json").read_bytes() == before
    assert leftovers(tmp_path) == []


def test_an_interrupted_write_keeps_the_previous_file_and_no_temporary_one(
    server, fake_time, tmp_path, monkeypatch
):
    first = server.ids[0]
    (tmp_path / "coins").mkdir()
    previous = b'{"prices": [[1, 2.0]], "market_caps": [[1, 3.0]], "total_volumes": [[1, 4.0]]}'
    (tmp_path / "coins" / f"{first}.json").write_bytes(previous)

    real_fsync = os.fsync

    def interrupted_after_coins_csv(fd):
        if (tmp_path / "coins.csv").exists():  # so this is the history being written
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", interrupted_after_coins_csv)
    with pytest.raises(KeyboardInterrupt):
        fetch(server, fake_time, tmp_path, top=1, refresh=True)
    assert (tmp_path / "coins" / f"{first}.json").read_bytes() == previous
    assert leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
        "coins",
        "coins.csv",
    ]


# -- progress -----------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_off_a_terminal_is_one_line_per_coin_then_the_summary(server, fake_time, tmp_path):
    progress = io.StringIO()
    summary = fetch(server, fake_time, tmp_path, top=3, progress=progress, min_interval_s=2.0)
    lines = progress.getvalue().splitlines()
    assert "\r" not in progress.getvalue()
    assert (
        lines[0]
        == "CoinGecko top 3 (public access, one request every 2 s): 0 complete already, 3 to download"
    )
    coin_lines = lines[1:4]
    for n, (line, coin_id) in enumerate(zip(coin_lines, server.ids, strict=False), start=1):
        points = len(server.chart(coin_id)["prices"])
        assert line.startswith(f"[{n}/3] {coin_id}: {points:,} points; ETA ")
    assert coin_lines[-1].endswith("ETA 0s")
    assert coin_lines[0].endswith("ETA 4s")  # two coins left, 2 s each
    assert lines[4:] == summary.text().splitlines()
    assert lines[4].startswith(f"CoinGecko top 3 in {tmp_path}: 3 downloaded, 0 already complete")


def test_progress_on_a_terminal_redraws_one_bar(server, fake_time, tmp_path):
    progress = Terminal()
    fetch(server, fake_time, tmp_path, top=3, progress=progress)
    text = progress.getvalue()
    assert "\r[0/3] bitcoin  ETA" in text and "\r[2/3] tether  ETA" in text
    assert " points; ETA" not in text  # the bar replaces the per-coin lines
    assert text.endswith("\n") and text.splitlines()[-1].startswith("CoinGecko top 3 in ")


def test_no_progress_prints_nothing(server, fake_time, tmp_path, capsys):
    fetch(server, fake_time, tmp_path, top=2, progress=False)
    assert capsys.readouterr() == ("", "")


# -- arguments and the shape check --------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"top": 0}, "top 0: expected a whole number"),
        ({"days": "forever"}, "days 'forever': expected 'max' or a whole number"),
        ({"days": "0"}, "days '0'"),
        ({"pro": True}, "pro access needs a paid API key"),
        ({"base_url": "ftp://example.com"}, "base URL 'ftp://example.com'"),
        ({"vs_currency": "US Dollar"}, "vs_currency 'US Dollar'"),
    ],
)
def test_bad_arguments_fail_before_any_request(server, fake_time, tmp_path, options, match):
    options = {"base_url": server.url, "top": 2, **options}
    with pytest.raises(FetchError, match=match):
        fetch_coingecko(tmp_path, progress=False, sleep=fake_time.sleep, **options)
    assert server.requests == [] and list(tmp_path.iterdir()) == []
    assert issubclass(FetchError, IndexlabError)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "expected a JSON object, got list"),
        ({"prices": [], "market_caps": []}, "'total_volumes' is missing or not an array"),
        ({"prices": {}, "market_caps": [], "total_volumes": []}, "'prices' is missing"),
        (
            {"prices": [[1, None]], "market_caps": [[1, 2]], "total_volumes": [[1, 2]]},
            "prices[0] is [1, null], not a pair of numbers",
        ),
        (
            {"prices": [[1, 2]], "market_caps": [[1, 2, 3]], "total_volumes": [[1, 2]]},
            "market_caps[0] is [1, 2, 3]",
        ),
        (
            {"prices": [[1, 2]], "market_caps": [[1, "2"]], "total_volumes": [[1, 2]]},
            'market_caps[0] is [1, "2"]',
        ),
        (
            {"prices": [[1, 2]], "market_caps": [[1, True]], "total_volumes": [[1, 2]]},
            "market_caps[0] is [1, true]",
        ),
        (
            {"prices": [[1, 2]], "market_caps": [[1, 2]], "total_volumes": [[1, float("nan")]]},
            "total_volumes[0] is [1, NaN]",
        ),
        (
            {"prices": [[1, 2]], "market_caps": [[1, 2]], "total_volumes": []},
            "'total_volumes' has 0 points but 'prices' has 1",
        ),
        (
            {"prices": [[1, 2]], "market_caps": [[1, 2]], "total_volumes": [[1e400, 2]]},
            "total_volumes[0] is [Infinity, 2]",
        ),
    ],
)
def test_the_shape_check_names_the_first_problem(data, problem):
    assert market_chart_problem(data).startswith(problem)


def test_the_shape_check_accepts_real_shapes(server):
    assert market_chart_problem(server.chart("bitcoin")) is None
    assert market_chart_problem({"prices": [], "market_caps": [], "total_volumes": []}) is None
    big = {name: [[1753315200000, 10**400]] for name in ("prices", "market_caps", "total_volumes")}
    assert market_chart_problem(big) is None  # a huge whole number is still a number
