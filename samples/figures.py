r"""Figures of the samples package (matplotlib, Agg; rank 0 calls them): the R*(ε) curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .risk import RiskCurve

__all__ = ["plot_risk"]


def plot_risk(curves: dict, path, *, title: str = "", reference=None) -> list[Path]:
    r"""The curves :math:`\varepsilon \mapsto R^*(\varepsilon)` into ``path`` (PNG) and its PDF twin.

    Args:
        curves: ``{label: RiskCurve}``, drawn as markers (the budgets computed) joined by lines
            (R* is nondecreasing between them).
        path: the PNG file; the PDF gets the same name.
        title: the figure's title.
        reference: optional ``(label, eps, values)``, a curve drawn as a line (a closed form).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, c in curves.items():
        if not isinstance(c, RiskCurve):
            raise TypeError(f"plot_risk: {label!r} is not a RiskCurve")
        ax.plot(c.eps, c.risk, marker="o", ms=3, lw=1.2, label=label)
    if reference is not None:
        name, eps, values = reference
        ax.plot(eps, values, "k--", lw=1, label=name)
    ax.set_xlabel(r"budget $\varepsilon$")
    ax.set_ylabel(r"optimal adversarial risk $R^*(\varepsilon)$")
    top = max(float(np.max(c.risk)) for c in curves.values())
    ax.set_ylim(0, max(0.05, min(1.0, 1.1 * top)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=150)
    fig.savefig(path.with_suffix(".pdf"))
    plt.close(fig)
    return [path, path.with_suffix(".pdf")]
