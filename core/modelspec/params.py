"""``${...}`` in spec values: parameter references and bounded integer arithmetic.

A value written exactly as ``"${name}"`` takes the parameter's value and type;
``"${width * 2}"`` is integer arithmetic (``+ - * // **``, unary ``-``,
parentheses) over integer parameters and literals. The text is parsed with
``ast.parse(mode="eval")`` and only those node types are walked: no call, no
attribute, no subscript, no name outside the parameters; nothing is handed
to Python's ``eval``. Results are bounded (``MAX_MAGNITUDE``), so that
``${10 ** 10 ** 10}`` is an error, not a frozen machine.

A ``${...}`` inside a longer string is replaced by its value's text
(``name: "edsr-x${scale}"``); ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import ast
import functools
import re
from typing import Any
from typing import Callable
from typing import Mapping

#: largest magnitude of any intermediate result (well past any layer size, far below a slow bignum)
MAX_MAGNITUDE = 10**18
#: longest expression text between ``${`` and ``}``
MAX_EXPRESSION = 200

_REFERENCE = re.compile(r"\$\$\{|\$\{([^{}]*)\}")
_WHOLE = re.compile(r"^\$\{([^{}]*)\}$")
_OPERATORS: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Pow: lambda a, b: a**b,
}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Pow: "**"}
ALLOWED = "parameter names, integers, + - * // ** and parentheses"


class ExpressionError(Exception):
    """A ``${...}`` that cannot be evaluated; ``name`` is the parameter at fault, if one is."""

    def __init__(self, message: str, hint: str = "", name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.name = name


def has_reference(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> ast.expr:
    """The checked syntax tree of one expression (cached: a repeated block evaluates the same texts)."""
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("empty '${}'", "write a parameter name, e.g. ${width}")
    if len(stripped) > MAX_EXPRESSION:
        raise ExpressionError(f"the expression is {len(stripped)} characters long; the limit is {MAX_EXPRESSION}",
                              "name a parameter for a part of it")
    try:
        tree = ast.parse(stripped, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"'${{{stripped}}}' is not an expression of {ALLOWED}",
                              "for example ${width * 2} or ${base * 2 ** index}") from None
    for node in ast.walk(tree):
        _check_node(node, stripped)
    return tree


def _check_node(node: ast.AST, text: str) -> None:
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            raise ExpressionError(f"operator not allowed in '${{{text}}}'", f"allowed: {ALLOWED}")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(f"operator not allowed in '${{{text}}}'", f"allowed: {ALLOWED}")
    elif isinstance(node, ast.Constant):
        if type(node.value) is not int:
            raise ExpressionError(f"only integer literals are allowed in '${{{text}}}', not {node.value!r}",
                                  f"allowed: {ALLOWED}")
    elif isinstance(node, ast.Name):
        if not isinstance(node.ctx, ast.Load):
            raise ExpressionError(f"'${{{text}}}' is not an expression", f"allowed: {ALLOWED}")
    elif not isinstance(node, (ast.operator, ast.unaryop, ast.expr_context)):
        what = {ast.Call: "a function call", ast.Attribute: "an attribute", ast.Subscript: "a subscript",
                ast.Lambda: "a lambda", ast.Compare: "a comparison"}.get(type(node), type(node).__name__)
        raise ExpressionError(f"{what} is not allowed in '${{{text}}}'", f"allowed: {ALLOWED}")


def _bounded(value: int, text: str) -> int:
    if abs(value) > MAX_MAGNITUDE:
        raise ExpressionError(f"'${{{text}}}' overflows: a result passes {MAX_MAGNITUDE:.0e}",
                              "layer sizes are far smaller; check the expression")
    return value


def _walk(node: ast.expr, names: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, ast.Constant):
        assert type(node.value) is int  # _check_node let only integers through
        return _bounded(node.value, text)
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ExpressionError(f"unknown parameter {node.id!r}", "", name=node.id)
        return names[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _integer(_walk(node.operand, names, text), node.operand, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.BinOp)
    left = _integer(_walk(node.left, names, text), node.left, text)
    right = _integer(_walk(node.right, names, text), node.right, text)
    if isinstance(node.op, ast.FloorDiv) and right == 0:
        raise ExpressionError(f"division by zero in '${{{text}}}'")
    if isinstance(node.op, ast.Pow):
        if right < 0:
            raise ExpressionError(f"negative exponent in '${{{text}}}'", "integer arithmetic only")
        if abs(left) > 1 and right * (abs(left).bit_length() - 1) > MAX_MAGNITUDE.bit_length():
            raise ExpressionError(f"'${{{text}}}' overflows: a result passes {MAX_MAGNITUDE:.0e}",
                                  "layer sizes are far smaller; check the expression")
    return _bounded(_OPERATORS[type(node.op)](left, right), text)


def _integer(value: Any, node: ast.expr, text: str) -> int:
    if type(value) is not int:
        what = f"parameter {node.id!r}" if isinstance(node, ast.Name) else "an operand"
        raise ExpressionError(f"{what} in '${{{text}}}' is {value!r} ({type(value).__name__}); arithmetic takes integers",
                              name=node.id if isinstance(node, ast.Name) else None)
    return value


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """The value of the expression ``text`` (what stands between ``${`` and ``}``)."""
    return _walk(_parse(text), names, text.strip())


def names_in(text: str) -> list[str]:
    """The parameter names an expression uses (empty when it does not parse)."""
    try:
        tree = _parse(text)
    except ExpressionError:
        return []
    return [node.id for node in ast.walk(tree) if isinstance(node, ast.Name)]


def references(value: str) -> list[str]:
    """The parameter names the ``${...}`` of ``value`` use."""
    return [name for match in _REFERENCE.finditer(value) if match[1] is not None for name in names_in(match[1])]


def interpolate(value: str, names: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """``value`` with its ``${...}`` evaluated, and the parameters it used.

    Exactly ``${expr}``: the expression's value, of its own type. Otherwise a
    string with each ``${expr}`` replaced by its value's text.
    """
    whole = _WHOLE.match(value)
    if whole:
        return evaluate(whole[1], names), names_in(whole[1])
    used: list[str] = []

    def replace(match: re.Match) -> str:
        if match[0] == "$${":
            return "${"
        result = evaluate(match[1], names)
        used.extend(names_in(match[1]))
        if isinstance(result, (dict, list)):
            raise ExpressionError(f"'${{{match[1].strip()}}}' is a {type(result).__name__}; only a whole value "
                                  "can be one", "write the reference alone: \"${name}\"")
        return str(result)

    if "${" in _REFERENCE.sub("", value):
        raise ExpressionError(f"unclosed or nested '${{' in {value!r}",
                              "a reference is ${name} or ${expression}; write $${ for a literal '${'")
    return _REFERENCE.sub(replace, value), used
