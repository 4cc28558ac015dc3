r"""Figures of the samples package (matplotlib, Agg; rank 0 calls them): R*(ε) curves, decision boundaries over data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .risk import RiskCurve

__all__ = ["plot_risk", "plot_boundaries"]


def _save(fig, ax, title, path) -> list[Path]:
    """Title, tight layout, the PNG at ``path`` and its PDF twin; closes the figure."""
    import matplotlib.pyplot as plt

    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=150)
    fig.savefig(path.with_suffix(".pdf"))
    plt.close(fig)
    return [path, path.with_suffix(".pdf")]


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
    return _save(fig, ax, title, path)


def plot_boundaries(x, values, times, points, path, *, title: str = "") -> list[Path]:
    r"""The decision boundaries :math:`\{\varphi = 0\}` at ``times`` over the labelled ``points`` (2D).

    Args:
        x: ``(num_vertices, 2)`` vertex coordinates; values: one ``(num_vertices,)`` array of φ per time.
        times: the times (the colour of each boundary); points: the data (class 0 blue, class 1 red,
            marker area by weight).
        path: the PNG file; the PDF gets the same name.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    if x.shape[1] != 2:
        raise ValueError("plot_boundaries: 2D vertices only")
    fig, ax = plt.subplots(figsize=(5.5, 5.0))
    size = 6 * points.weight / points.weight.mean()
    for c, colour in ((0, "tab:blue"), (1, "tab:red")):
        sel = points.label == c
        ax.scatter(points.x[sel, 0], points.x[sel, 1], s=np.clip(size[sel], 0.5, 20), c=colour, alpha=0.35,
                   linewidths=0, label=f"class {c}")
    tri = Triangulation(x[:, 0], x[:, 1])
    cmap = plt.get_cmap("viridis")
    last = max(float(times[-1]), 1e-300)
    for t, v in zip(times, values):
        if v.min() < 0 < v.max():
            ax.tricontour(tri, v, levels=[0.0], colors=[cmap(float(t) / last)], linewidths=1.6 if t == times[-1] else 0.9)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, last))
    fig.colorbar(sm, ax=ax, label="t (boundary of the classifier)", shrink=0.8)
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="upper right", markerscale=2)
    return _save(fig, ax, title, path)
