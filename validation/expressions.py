r"""Safe arithmetic expressions over numpy, for densities and mesh-size rules.

Suites give densities such as ``"exp(-(x**2 + y**2)/0.5) + 0.1"`` and mesh
rules such as ``"eps/8"``.  They are parsed with :mod:`ast` and checked against
a whitelist before anything is evaluated: numbers, the named variables, the
constants ``pi`` and ``e``, the operators ``+ - * / **`` and unary ``-``/``+``,
and calls of the numpy functions in :data:`FUNCTIONS` with exactly as many
positional arguments as the function has inputs (so NumPy's output argument,
``exp(x, y)`` or ``minimum(a, b, y)``, can never be given: an expression
cannot write into an array).  Attribute access, subscripts, keywords,
comprehensions, lambdas and every other node are rejected, so no arbitrary
code ever runs (Python's ``eval`` is never called).  The text is at most
:data:`MAX_LENGTH` characters and nested at most :data:`MAX_DEPTH` deep, and
the values of the variables are copied before evaluation, in float64 with
NumPy's overflow, division and invalid-value warnings silenced (a result that
overflows is inf and the caller's finiteness check names it).  Hand-written
because neither numpy nor scipy offers a restricted expression evaluator.
"""

from __future__ import annotations

import ast
import operator

import numpy as np

__all__ = ["Expression", "FUNCTIONS", "CONSTANTS", "MAX_LENGTH", "MAX_DEPTH"]

#: The callable names an expression may use.
FUNCTIONS = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arctan": np.arctan,
    "arctan2": np.arctan2, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "minimum": np.minimum, "maximum": np.maximum, "hypot": np.hypot,
}

#: The named constants an expression may use.
CONSTANTS = {"pi": np.pi, "e": np.e}

#: The longest expression text accepted (characters), and the deepest nesting of its syntax tree.
MAX_LENGTH, MAX_DEPTH = 2000, 64

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
        self._shown = repr(text) if len(text) <= 80 else repr(text[:60]) + "..."  # how messages quote it
        if len(text) > MAX_LENGTH:
            raise ValueError(f"expression {self._shown}: {len(text)} characters, at most {MAX_LENGTH} are allowed")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as err:
            raise ValueError(f"expression {self._shown} does not parse: {err.msg}") from None
        except (RecursionError, MemoryError):
            raise ValueError(f"expression {self._shown}: nested too deeply (at most {MAX_DEPTH} levels)") from None
        self._check(tree.body, 0)
        self._tree = tree.body

    def _check(self, node, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ValueError(f"expression {self._shown}: nested too deeply (at most {MAX_DEPTH} levels)")
        depth += 1
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ValueError(f"expression {self._shown}: only numbers are allowed as literals, got {node.value!r}")
            try:
                float(node.value)
            except OverflowError:
                raise ValueError(f"expression {self.text[:40]!r}: the number {str(node.value)[:20]}... is too large "
                                 "for a float") from None
        elif isinstance(node, ast.Name):
            if node.id not in self.variables and node.id not in CONSTANTS:
                allowed = ", ".join(self.variables + tuple(CONSTANTS))
                raise ValueError(f"expression {self._shown}: unknown name {node.id!r} (allowed: {allowed})")
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            self._check(node.left, depth)
            self._check(node.right, depth)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            self._check(node.operand, depth)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise ValueError(f"expression {self._shown}: function {name!r} is not allowed "
                                 f"(allowed: {', '.join(FUNCTIONS)})")
            if node.keywords:
                raise ValueError(f"expression {self._shown}: keyword arguments are not allowed")
            nin = FUNCTIONS[node.func.id].nin
            if len(node.args) != nin:
                raise ValueError(f"expression {self._shown}: {node.func.id} takes {nin} argument"
                                 f"{'s' if nin > 1 else ''}, got {len(node.args)}")
            for arg in node.args:
                self._check(arg, depth)
        else:
            raise ValueError(f"expression {self._shown}: {type(node).__name__} "
                             f"({ast.unparse(node)!r}) is not allowed")

    def __call__(self, **values):
        """The value, with numpy broadcasting; each variable's value is copied first (float64)."""
        missing = set(self.variables) - set(values)
        if missing:
            raise ValueError(f"expression {self._shown}: no value given for {sorted(missing)}")
        env = {k: np.array(v, dtype=np.float64) for k, v in values.items()}
        with np.errstate(all="ignore"):
            return self._eval(self._tree, env)

    def _eval(self, node, env):
        if isinstance(node, ast.Constant):
            return np.float64(node.value)
        if isinstance(node, ast.Name):
            return env[node.id] if node.id in env else np.float64(CONSTANTS[node.id])
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, env))
        return FUNCTIONS[node.func.id](*(self._eval(a, env) for a in node.args))

    def __repr__(self) -> str:
        return f"Expression({self._shown})"
