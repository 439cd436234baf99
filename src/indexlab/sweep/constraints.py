"""Sweep constraints: a small parser of their grammar, and its evaluator.

A constraint is read, never executed: it reaches strategy keys only, through the
``lookup`` it is given, and every mistake is an error that names the constraint and
the column (1 = its first character). The grammar (docs/sweeps.md, "Constraints"),
loosest first::

    constraint := disjunct ("or" disjunct)*
    disjunct   := negation ("and" negation)*
    negation   := "not" negation | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)*
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | atom
    atom       := NUMBER | KEY | "none" | "true" | "false" | TEXT | "(" constraint ")"

``KEY`` is a strategy key (``universe.top_n``, ``lag_days``); ``NUMBER`` is written as
in TOML or Python (``10``, ``0.25``, ``1e6``); ``TEXT`` is quoted (``'equal'``) and may
only be compared with ``==`` or ``!=``. Operators mean what they mean in Python (``and``
and ``or`` stop at the first operand that decides), with one addition: ``none``, a
key without a value, makes arithmetic ``none`` and ordering comparisons false, so
``weighting.cap * universe.top_n >= 1`` is false when there is no cap.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from indexlab.errors import SpecError

MAX_DEPTH = 32  # nested parentheses, "not" and signs: a constraint, not a program
MAX_TOKENS = 200  # numbers, keys and operators: bounds the depth of the tree as well
MAX_MAGNITUDE = 1e300  # numbers and results beyond it are refused, never computed on
GRAMMAR = (
    "a constraint may use strategy keys (universe.top_n), numbers, none, true, false, "
    "quoted text with == and !=, + - * /, comparisons, and, or, not and parentheses"
)
_TOKEN = re.compile(
    r"""(?P<space>\s+)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<text>'[^'\n]*'|"[^"\n]*")
    | (?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
    | (?P<op>==|!=|<=|>=|[<>+\-*/()])""",
    re.VERBOSE | re.ASCII,
)
_WORDS = {"none": None, "true": True, "false": False, "None": None, "True": True, "False": False}
_KEYWORDS = {"and", "or", "not"}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_EQUALITY = {"==": operator.eq, "!=": operator.ne}


class ConstraintError(SpecError):
    """A constraint that cannot be parsed or evaluated; the message names it and the
    column."""


# ---------------------------------------------------------------- the tree
@dataclass(frozen=True)
class Literal:
    value: Any
    column: int


@dataclass(frozen=True)
class Text:
    value: str
    column: int


@dataclass(frozen=True)
class Key:
    name: str
    column: int


@dataclass(frozen=True)
class Operation:
    """``op`` on ``operands``: a sign or ``not`` (one operand), arithmetic (two),
    ``and``/``or`` (two or more); ``column`` is the operator's, ``source`` the text."""

    op: str
    operands: tuple[Any, ...]
    column: int
    source: str


@dataclass(frozen=True)
class Comparison:
    """``a < b <= c``: each operator with its column."""

    operands: tuple[Any, ...]
    ops: tuple[tuple[str, int], ...]
    source: str


@dataclass(frozen=True)
class Group:
    """A parenthesised ``node``; ``column`` is the '(' and ``source`` the text."""

    node: Any
    column: int
    source: str


Node = Literal | Text | Key | Operation | Comparison | Group


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint: :meth:`holds` evaluates it with the values ``lookup`` gives
    its keys."""

    text: str
    tree: Node

    def holds(self, lookup: Callable[[str], Any]) -> bool:
        return bool(_Evaluation(self.text, lookup).value(self.tree))


def parse_constraint(
    text: str, check_key: Callable[[str], str | None] = lambda name: None
) -> Constraint:
    """Parse ``text``; ``check_key(name)`` says why a name is not a key (or None)."""
    tokens = _tokens(text)
    parser = _Parser(text, tokens, check_key)
    if not tokens:
        raise parser.error(1, "the constraint is empty")
    if len(tokens) > MAX_TOKENS:
        raise parser.error(
            tokens[MAX_TOKENS][2],
            f"too long (at most {MAX_TOKENS} numbers, keys and operators; split it in two)",
        )
    tree = parser.disjunction()
    if parser.position < len(tokens):
        kind, word, column = tokens[parser.position]
        raise parser.error(column, f"unexpected {word!r}; {GRAMMAR}")
    return Constraint(text, tree)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, column) of each token; anything else is an error at its column."""
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ConstraintError(
                f"cannot parse {_shown(text)} at column {position + 1}: unexpected "
                f"{text[position]!r}; {GRAMMAR}"
            )
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group(), position + 1))
        position = match.end()
    return tokens


# ---------------------------------------------------------------- parsing
class _Parser:
    """Recursive descent over the tokens, one method per rule of the grammar."""

    def __init__(self, text: str, tokens: list, check_key: Callable[[str], str | None]):
        self.text, self.tokens, self.check_key = text, tokens, check_key
        self.position, self.depth = 0, 0

    def error(self, column: int, detail: str) -> ConstraintError:
        return ConstraintError(f"cannot parse {_shown(self.text)} at column {column}: {detail}")

    def peek(self) -> tuple[str, str, int]:
        if self.position < len(self.tokens):
            return self.tokens[self.position]
        return ("end", "", len(self.text) + 1)

    def take(self, *words: str) -> tuple[str, str, int] | None:
        token = self.peek()
        if token[0] in ("op", "name") and token[1] in words:
            self.position += 1
            return token
        return None

    def deeper(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(column, f"nested too deeply (at most {MAX_DEPTH} levels)")

    def disjunction(self) -> Node:
        return self._boolean("or", self.conjunction)

    def conjunction(self) -> Node:
        return self._boolean("and", self.negation)

    def since(self, column: int) -> str:
        """The text from ``column`` to the end of the last token taken."""
        _, word, last = self.tokens[self.position - 1]
        return self.text[column - 1 : last - 1 + len(word)]

    def _boolean(self, word: str, operand: Callable[[], Node]) -> Node:
        operands, column = [self._no_text(operand())], 0
        while (token := self.take(word)) is not None:
            column = column or token[2]
            operands.append(self._no_text(operand()))
        if len(operands) == 1:
            return operands[0]
        return Operation(word, tuple(operands), column, self.since(_start(operands[0])))

    def negation(self) -> Node:
        token = self.take("not")
        if token is None:
            return self.comparison()
        self.deeper(token[2])
        operand = self._no_text(self.negation())
        node = Operation("not", (operand,), token[2], self.since(token[2]))
        self.depth -= 1
        return node

    def comparison(self) -> Node:
        operands, ops = [self.sum()], []
        while (token := self.take(*_ORDERING, *_EQUALITY)) is not None:
            operands.append(self.sum())
            ops.append((token[1], token[2]))
        if not ops:
            return operands[0]
        for (op, _), pair in zip(ops, zip(operands, operands[1:], strict=False), strict=True):
            if op in _ORDERING:
                for side in pair:
                    self._no_text(side)
        return Comparison(tuple(operands), tuple(ops), self.since(_start(operands[0])))

    def sum(self) -> Node:
        return self._arithmetic(("+", "-"), self.product)

    def product(self) -> Node:
        return self._arithmetic(("*", "/"), self.unary)

    def _arithmetic(self, ops: tuple[str, str], operand: Callable[[], Node]) -> Node:
        node = operand()
        while (token := self.take(*ops)) is not None:
            pair = (self._no_text(node), self._no_text(operand()))
            node = Operation(token[1], pair, token[2], self.since(_start(node)))
        return node

    def unary(self) -> Node:
        token = self.take("-", "+")
        if token is None:
            return self.atom()
        self.deeper(token[2])
        operand = self._no_text(self.unary())
        node = Operation(token[1], (operand,), token[2], self.since(token[2]))
        self.depth -= 1
        return node

    def atom(self) -> Node:
        kind, word, column = self.peek()
        if kind == "end":
            raise self.error(column, f"the constraint ends too early; {GRAMMAR}")
        if word == "(" and self.take("("):
            self.deeper(column)
            node = self.disjunction()
            if self.take(")") is None:
                found = self.peek()
                what = f"found {found[1]!r}" if found[0] != "end" else "found the end"
                raise self.error(
                    found[2], f"expected ')' to close the '(' at column {column}; {what}"
                )
            self.depth -= 1
            return Group(node, column, self.since(column))
        self.position += 1
        if kind == "number":
            return Literal(self._number(word, column), column)
        if kind == "text":
            return Text(word[1:-1], column)
        if kind == "name" and word in _WORDS:
            return Literal(_WORDS[word], column)
        if kind == "name" and word not in _KEYWORDS:
            problem = self.check_key(word)
            if problem is not None:
                raise self.error(column, problem)
            return Key(word, column)
        raise self.error(column, f"unexpected {word!r}; {GRAMMAR}")

    def _number(self, word: str, column: int) -> int | float:
        if len(word) > 400 or not abs(float(word)) <= MAX_MAGNITUDE:
            raise self.error(column, f"{word[:20]} is too large a number (at most 1e300)")
        return int(word) if word.isdigit() else float(word)

    def _no_text(self, node: Node) -> Node:
        inner = node
        while isinstance(inner, Group):
            inner = inner.node
        if isinstance(inner, Text):
            raise self.error(
                inner.column, f"text ({inner.value!r}) can only be compared with == or !="
            )
        return node


# ---------------------------------------------------------------- evaluation
class _Evaluation:
    """One evaluation of a constraint with the values ``lookup`` gives its keys."""

    def __init__(self, text: str, lookup: Callable[[str], Any]):
        self.text, self.lookup = text, lookup

    def error(self, column: int, detail: str) -> ConstraintError:
        return ConstraintError(f"cannot evaluate {_shown(self.text)} at column {column}: {detail}")

    def value(self, node: Node) -> Any:
        if isinstance(node, Literal | Text):
            return node.value
        if isinstance(node, Key):
            return self.key(node)
        if isinstance(node, Group):
            return self.value(node.node)
        if isinstance(node, Comparison):
            return self.compare(node)
        if node.op in ("and", "or"):
            for operand in node.operands:
                result = self.value(operand)
                if bool(result) == (node.op == "or"):
                    return result  # the first operand that decides, as in Python
            return result
        if node.op == "not":
            return not self.value(node.operands[0])
        return self.arithmetic(node)

    def key(self, node: Key) -> Any:
        value = self.lookup(node.name)
        if value is None or isinstance(value, bool | int | float | str | pd.Timestamp):
            return value
        raise self.error(
            node.column,
            f"{node.name} holds {value!r}, not a number, text, true/false or none",
        )

    def arithmetic(self, node: Operation) -> Any:
        values = [self.value(operand) for operand in node.operands]
        if any(value is None for value in values):
            return None  # no value: no result
        for operand, value in zip(node.operands, values, strict=True):
            self.number(operand, value)
        if len(values) == 1:
            return -values[0] if node.op == "-" else +values[0]
        if node.op == "/" and values[1] == 0:
            divisor = node.operands[1]
            why = "" if isinstance(divisor, Literal) else f" ({self.show(divisor)} is 0)"
            raise self.error(node.column, f"division by zero{why}")
        result = _ARITHMETIC[node.op](*values)
        if not abs(result) <= MAX_MAGNITUDE:
            raise self.error(node.column, "the result is too large a number (beyond 1e300)")
        return result

    def compare(self, node: Comparison) -> bool:
        left = self.value(node.operands[0])
        for number, (op, column) in enumerate(node.ops):
            before, after = node.operands[number], node.operands[number + 1]
            right = self.value(after)
            if op in _EQUALITY:
                holds = _EQUALITY[op](left, right)
            elif left is None or right is None:
                holds = False  # no value is neither more nor less than another
            else:
                self.comparable(before, left, after, right, column)
                holds = _ORDERING[op](left, right)
            if not holds:
                return False
            left = right
        return True

    def comparable(self, a: Node, left: Any, b: Node, right: Any, column: int) -> None:
        numbers = [_is_number(left), _is_number(right)]
        if all(numbers) or (type(left) is type(right) and isinstance(left, str | pd.Timestamp)):
            return
        if any(numbers):
            node, value = (b, right) if numbers[0] else (a, left)
            self.number(node, value)
        raise self.error(
            column, f"cannot order {self.show(a)} ({left!r}) and {self.show(b)} ({right!r})"
        )

    def number(self, node: Node, value: Any) -> None:
        if not _is_number(value):
            shown = str(value.date()) if isinstance(value, pd.Timestamp) else repr(value)
            raise self.error(_start(node), f"{self.show(node)} is {shown}, not a number")

    def show(self, node: Node) -> str:
        if isinstance(node, Key):
            return node.name
        if isinstance(node, Literal | Text):
            return repr(node.value)
        return node.source


def _is_number(value: Any) -> bool:
    return isinstance(value, bool | int | float)


def _start(node: Node) -> int:
    """The column of a node's first character."""
    if isinstance(node, Comparison):
        return _start(node.operands[0])
    if isinstance(node, Operation) and len(node.operands) > 1:
        return _start(node.operands[0])
    return node.column


def _shown(text: str) -> str:
    """A constraint as an error quotes it: cut after 100 characters."""
    return repr(text if len(text) <= 100 else text[:100] + "...")
