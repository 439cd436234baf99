"""The layers of docs/architecture.md hold: every module imports only its own layer or
the ones below, through public names.

The imports are read with ``ast`` from the source files (imports inside functions and
``if TYPE_CHECKING:`` blocks count too), so nothing is imported to check them.
``from indexlab.report import style`` is an import of the module ``indexlab.report.style``;
``from indexlab.report import read_run`` one of the package ``indexlab.report``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import indexlab

SOURCE = Path(indexlab.__file__).resolve().parent.parent  # the folder that holds indexlab/

# Bottom to top; docs/architecture.md draws the same. A module takes the layer of the
# longest prefix below that names it, so a new module inherits its package's layer.
LAYER_NAMES = ("base", "data", "rules", "engine", "analytics", "report", "outputs", "entry")
LAYERS = {
    # base: shared by all, importing nothing above
    "indexlab.errors": "base",
    "indexlab.version": "base",
    "indexlab.spec": "base",  # typed specs and TOML; the rules and the engine read them
    "indexlab.metrics": "base",  # pure array math; a Result summarises itself with it
    "indexlab.paths": "base",  # names made safe as one path component
    "indexlab.cells": "base",  # text cells neutralised for spreadsheets, and restored
    "indexlab.interrupts": "base",  # Ctrl-C held until a kernel returns
    "indexlab.fill": "base",
    "indexlab.holdings": "base",  # compact per-trade records of held assets (CSR)
    "indexlab.scenario_defaults": "base",  # constants the CLI's help states, importing nothing  # a close panel filled forward, in one compiled pass
    # data: the Market and where it comes from
    "indexlab.market": "data",
    "indexlab.taxonomy": "data",
    "indexlab.sources": "data",
    "indexlab.inspect": "data",
    "indexlab.detectors": "data",
    "indexlab.coverage": "data",
    "indexlab.quality": "data",  # value ranges, dates and bad prints of market data
    "indexlab.signals.values": "data",  # a signal file is data beside the market
    # rules: schedule, universe, selection, weights, the risk-off signal
    "indexlab.rules": "rules",
    "indexlab.signals.rules": "rules",  # signals computed from a Market (sma-cross, ...)
    "indexlab.signals.exposure": "rules",  # the lag that turns a signal into a position
    # engine: simulation, and what it returns
    "indexlab.engine": "engine",
    "indexlab.result": "engine",
    # analytics: what is computed from markets and results
    "indexlab.signals": "analytics",
    "indexlab.scenarios": "analytics",
    # report: tables, figures, the tearsheet
    "indexlab.report": "report",
    # outputs: folders written to disk, exports, sweeps of many runs
    "indexlab.output": "outputs",
    "indexlab.scenario_output": "outputs",
    "indexlab.signals_output": "outputs",
    "indexlab.export": "outputs",
    "indexlab.sweep": "outputs",
    "indexlab.bridges": "outputs",  # a Result as a vectorbt Portfolio, quantstats reports
    # entry: the command line and the package's own namespace
    "indexlab.cli": "entry",
    "indexlab": "entry",
}

# Stages that are handed a Market never read files or check data themselves.
NO_READERS = {
    "indexlab.rules": ("indexlab.sources", "indexlab.inspect"),
    "indexlab.engine": ("indexlab.sources", "indexlab.inspect"),
}

# Edges that break the rules today, each to be removed: (importer, imported) for the
# first two, (importer, module.name) for private names. A new violation fails the test,
# and so does a line here whose import is gone: then delete the line.
KNOWN_UPWARD: set[tuple[str, str]] = set()
KNOWN_READERS: set[tuple[str, str]] = set()
KNOWN_PRIVATE: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # a module or package of indexlab
    name: str | None  # the name taken from it, for ``from X import name``
    line: int

    def __str__(self) -> str:
        what = f"{self.imported}.{self.name}" if self.name else self.imported
        return f"{self.importer} (line {self.line}) imports {what}"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SOURCE / "indexlab").rglob("*.py")):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[Import]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [
                Import(module, alias.name, None, node.lineno)
                for alias in node.names
                if alias.name.split(".")[0] == "indexlab"
            ]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "indexlab":
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:
                    found.append(Import(module, submodule, None, node.lineno))
                else:
                    found.append(Import(module, source, alias.name, node.lineno))
    return found


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        layer = LAYERS.get(".".join(parts[:end]))
        if layer is not None:
            return layer
    return None


def all_imports() -> list[Import]:
    known = modules()
    return [item for module, path in known.items() for item in imports_of(module, path, known)]


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_every_module_has_a_layer():
    missing = [module for module in modules() if layer_of(module) is None]
    assert not missing, (
        f"modules without a layer: {missing}; add them to LAYERS here and to the table in "
        "docs/architecture.md"
    )


def test_the_scan_finds_the_package():
    found = modules()
    assert {"indexlab", "indexlab.cli", "indexlab.report.tearsheet"} <= set(found)
    assert any(item.imported == "indexlab.report.rundata" for item in all_imports())


def test_no_layer_imports_a_higher_one():
    rank = {name: position for position, name in enumerate(LAYER_NAMES)}
    upward = [
        item
        for item in all_imports()
        if rank[layer_of(item.imported)] > rank[layer_of(item.importer)]
        and (item.importer, item.imported) not in KNOWN_UPWARD
    ]
    assert not upward, "imports from a higher layer (see docs/architecture.md):\n" + "\n".join(
        f"  {item}: {layer_of(item.importer)} -> {layer_of(item.imported)}" for item in upward
    )


def test_rules_and_engine_read_no_files():
    found = [
        item
        for item in all_imports()
        for stage, readers in NO_READERS.items()
        if within(item.importer, stage)
        and any(within(item.imported, reader) for reader in readers)
        and (item.importer, item.imported) not in KNOWN_READERS
    ]
    assert not found, "a pipeline stage imports a reader (it should be given a Market):\n" + (
        "\n".join(f"  {item}" for item in found)
    )


def test_private_names_stay_in_their_package():
    def package(module: str) -> str:
        return module.rpartition(".")[0] or module

    found = [
        item
        for item in all_imports()
        if item.name
        and item.name.startswith("_")
        and not item.name.startswith("__")
        and not within(item.imported, package(item.importer))
        and (item.importer, f"{item.imported}.{item.name}") not in KNOWN_PRIVATE
    ]
    assert not found, "private names imported from another package:\n" + "\n".join(
        f"  {item}" for item in found
    )


def test_every_known_exception_still_happens():
    edges = {(item.importer, item.imported) for item in all_imports()}
    names = {(item.importer, f"{item.imported}.{item.name}") for item in all_imports()}
    gone = sorted((KNOWN_UPWARD | KNOWN_READERS) - edges) + sorted(KNOWN_PRIVATE - names)
    assert not gone, f"these imports are gone: delete them from the KNOWN_* sets: {gone}"


def test_the_checks_catch_a_violation(tmp_path):
    """The scan sees an upward import in a function body and a private name."""
    fake = tmp_path / "indexlab" / "rules"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text(
        "def f():\n    from indexlab.report import tearsheet\n"
        "    from indexlab.engine.kernels import _secret\n"
    )
    known = {"indexlab.report.tearsheet": Path(), "indexlab.rules.bad": fake / "bad.py"}
    found = imports_of("indexlab.rules.bad", fake / "bad.py", known)
    assert [(item.imported, item.name) for item in found] == [
        ("indexlab.report.tearsheet", None),
        ("indexlab.engine.kernels", "_secret"),
    ]
    assert layer_of("indexlab.rules.bad") == "rules"
    assert layer_of("indexlab.report.tearsheet") == "report"
