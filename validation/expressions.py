r"""Safe arithmetic expressions over numpy, for densities and mesh-size rules.

Suites give densities such as ``"exp(-(x**2 + y**2)/0.5) + 0.1"`` and mesh
rules such as ``"eps/8"``.  They are parsed with :mod:`ast` and checked against
a whitelist before anything is evaluated: numbers, the named variables, the
constants ``pi`` and ``e``, the operators ``+ - * / **`` and unary ``-``/``+``,
and calls of the numpy functions in :data:`FUNCTIONS` with positional
arguments.  Attribute access, subscripts, keywords, comprehensions, lambdas
and every other node are rejected, so no arbitrary code ever runs (Python's
``eval`` is never called).  Hand-written because neither numpy nor scipy
offers a restricted expression evaluator.
"""

from __future__ import annotations

import ast
import operator

import numpy as np

__all__ = ["Expression", "FUNCTIONS", "CONSTANTS"]

#: The callable names an expression may use.
FUNCTIONS = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arctan": np.arctan,
    "arctan2": np.arctan2, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "minimum": np.minimum, "maximum": np.maximum, "hypot": np.hypot,
}

#: The named constants an expression may use.
CONSTANTS = {"pi": np.pi, "e": np.e}

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


class Expression:
    """A parsed, whitelisted arithmetic expression in the given variables.

    Args:
        text: the expression, e.g. ``"exp(-r**2/2)"``.
        variables: the names it may use besides :data:`CONSTANTS`.

    Raises:
        ValueError: one line naming the offending construct, if ``text`` does
            not parse or uses anything outside the whitelist.

    Calling it with keyword arguments (one per variable; numpy arrays or
    floats) evaluates it with numpy broadcasting.
    """

    def __init__(self, text: str, variables=("x", "y", "z", "r")):
        if not isinstance(text, str):
            raise ValueError(f"expression must be a string, got {type(text).__name__}")
        self.text = text
        self.variables = tuple(variables)
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as err:
            raise ValueError(f"expression {text!r} does not parse: {err.msg}") from None
        self._check(tree.body)
        self._tree = tree.body

    def _check(self, node) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ValueError(f"expression {self.text!r}: only numbers are allowed as literals, got {node.value!r}")
        elif isinstance(node, ast.Name):
            if node.id not in self.variables and node.id not in CONSTANTS:
                allowed = ", ".join(self.variables + tuple(CONSTANTS))
                raise ValueError(f"expression {self.text!r}: unknown name {node.id!r} (allowed: {allowed})")
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            self._check(node.operand)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ValueError(f"expression {self.text!r}: function {name!r} is not allowed "
                                 f"(allowed: {', '.join(FUNCTIONS)})")
            if node.keywords:
                raise ValueError(f"expression {self.text!r}: keyword arguments are not allowed")
            for arg in node.args:
                self._check(arg)
        else:
            raise ValueError(f"expression {self.text!r}: {type(node).__name__} "
                             f"({ast.unparse(node)!r}) is not allowed")

    def __call__(self, **values):
        missing = set(self.variables) - set(values)
        if missing:
            raise ValueError(f"expression {self.text!r}: no value given for {sorted(missing)}")
        return self._eval(self._tree, values)

    def _eval(self, node, env):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else CONSTANTS[node.id]
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, env))
        return FUNCTIONS[node.func.id](*(self._eval(a, env) for a in node.args))

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"
