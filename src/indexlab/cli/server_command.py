"""``indexlab server start|status|stop``: the warm server of :mod:`indexlab.cli.server`
(issue 17, item 6). While one runs, ``indexlab`` commands run in a warm copy of it,
without the ~1.3 s of start-up; ``INDEXLAB_SERVER=0`` runs a command here all the same."""

from __future__ import annotations

import argparse
import datetime as dt

from indexlab.errors import IndexlabError

COMMANDS = {
    "server": "a warm process that runs indexlab commands without the start-up",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    server = commands.add_parser(
        "server",
        help=COMMANDS["server"],
        description="Start, query or stop this user's warm indexlab server. While it runs, "
        "every indexlab command of the same installation and settings runs in a fresh, warm "
        "copy of it (no import or compile time): the same output, files and exit code. "
        "Only your user can reach it; it stops after --idle minutes without a command. "
        "INDEXLAB_SERVER=0 runs a command without it.",
    )
    actions = server.add_subparsers(dest="action", metavar="ACTION", required=True)
    start = actions.add_parser("start", help="start the server (if none runs) and wait until ready")
    start.add_argument(
        "--idle",
        type=_minutes,
        default=30.0,
        metavar="MINUTES",
        help="stop after this many minutes without a command (default 30)",
    )
    actions.add_parser("status", help="say whether a server runs for this installation")
    actions.add_parser("stop", help="stop every indexlab server of this user")
    server.set_defaults(handler=command_server)


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0 < value <= 7 * 24 * 60:
        raise argparse.ArgumentTypeError(f"{text!r}: from more than 0 to 10080 (a week)")
    return value


def command_server(args: argparse.Namespace) -> int:
    from indexlab.cli import server

    try:
        if args.action == "start":
            pid, path, started = server.start(args.idle)
            verb = "started" if started else "already running"
            print(f"indexlab server {verb} (pid {pid}, {path}); 'indexlab server stop' stops it")
        elif args.action == "status":
            answer = server.status()
            if answer is None:
                print("indexlab server: none running for this installation and settings")
                return 1
            since = dt.datetime.fromtimestamp(answer["started"]).isoformat(timespec="seconds")
            print(
                f"indexlab server running (pid {answer['pid']}, since {since}, "
                f"{answer['served']} command(s) served, {answer['socket']})"
            )
        else:
            stopped = server.stop_all()
            print(f"indexlab server: stopped {len(stopped)} server(s)")
    except OSError as exc:
        raise IndexlabError(f"server: {exc}") from None
    return 0
