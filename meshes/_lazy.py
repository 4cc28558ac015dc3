"""Lazy re-exports for a package's ``__init__`` (PEP 562), so that importing the package stays cheap."""

from __future__ import annotations

import importlib

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: dict):
    """``(__getattr__, __dir__)`` for the package ``package``: a name of ``exports`` (name -> module)
    is imported from its module on first use and kept in the package's namespace."""
    namespace = importlib.import_module(package).__dict__

    def getattr_(name):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        namespace[name] = value
        return value

    def dir_():
        return sorted(set(namespace) | set(exports))

    return getattr_, dir_
