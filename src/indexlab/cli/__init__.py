"""The ``indexlab`` command line.

``indexlab run`` backtests a strategy file; ``indexlab data ...`` imports, inspects,
validates and fetches market data. Errors exit non-zero with one line on stderr,
never a traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import warnings
from collections.abc import Sequence

from indexlab.cli.options import parse_date
from indexlab.cli.process import command_process
from indexlab.errors import IndexlabError

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "main", "parse_date"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


_MODULES = (  # in the order --help lists their commands
    "run_command",
    "data_command",
    "strategies_command",
    "signals_command",
    "scenario_command",
    "report_command",
    "sweep_command",
    "band_command",
    "server_command",
)


def _parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line. With ``argv``, only the command it names is built in full (its
    options may need the library); the others are listed by name and help alone, so
    ``indexlab --help`` answers without loading pandas or numba."""
    parser = argparse.ArgumentParser(
        prog="indexlab",
        description=(
            "Backtest crypto indices: top-N selection by market cap, weighting, rebalancing "
            "and costs, simulated day by day with no look-ahead, against benchmarks."
        ),
        epilog="Run 'indexlab COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    parser.add_argument(
        "--debug", action="store_true", help="show the Python traceback of an error"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [importlib.import_module(f"indexlab.cli.{name}") for name in _MODULES]
    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), None)
    for module in modules:
        if argv is None or chosen in module.COMMANDS:
            module.add_parser(commands)
        else:
            for name, text in module.COMMANDS.items():
                commands.add_parser(name, help=text)
    return parser


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked for (reading
    the package metadata is a third of the time ``indexlab --help`` takes)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from indexlab.version import __version__

        print(f"indexlab {__version__}")  # on stdout, as argparse's own version action
        parser.exit()


def _show_note(others, message, category, filename, lineno, file=None, line=None) -> None:
    """indexlab's own warnings as one line, ``indexlab: note: ...``; ``others`` shows
    the rest as usual."""
    if category.__module__.split(".")[0] != "indexlab":
        others(message, category, filename, lineno, file, line)
        return
    print(f"indexlab: note: {message}", file=sys.stderr if file is None else file)


def _caused_by_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` arose from a Ctrl-C: C code that saw the KeyboardInterrupt while
    returning (numba's dispatcher: "SystemError: ... returned a result with an exception
    set") chains it as the cause or context."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """The ``indexlab`` command: ``argv`` (the process's own arguments when None, as the
    ``indexlab`` script and ``python -m indexlab.cli`` call it). Returns the exit code."""
    if argv is not None:
        return _main(list(argv))
    from indexlab.cli.server_client import forward

    code = forward(sys.argv[1:])  # to this user's warm server, if one runs for this code
    if code is not None:
        return code
    with command_process():
        return _main(sys.argv[1:])


def _main(argv: list[str]) -> int:
    parser = _parser(argv)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        (getattr(args, "command_parser", None) or parser).print_help()
        return EXIT_ERROR
    try:
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(_show_note, warnings.showwarning)
            return handler(args)
    except IndexlabError as exc:
        if args.debug:
            raise
        print(f"indexlab: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, MemoryError) as exc:
        if args.debug:
            raise
        print(f"indexlab: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("indexlab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one line, with the way to see more
        if _caused_by_interrupt(exc):
            print("indexlab: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        if args.debug:
            raise
        print(
            f"indexlab: internal error: {type(exc).__name__}: {exc} (rerun with --debug for "
            "the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
