r"""Figures of a finished suite (matplotlib, Agg backend), written into its folder.

- ``convergence_<study>.png``: log–log errors against the refinement
  parameter (ε, or τ), one line per scheme/group, with dashed reference
  slopes 1 and 2.
- ``interfaces_<study>.png`` (2D): the final interfaces of every scheme at
  the finest level, overlaid on the coarsest mesh of the study that was
  stored (at most 50 000 cells, to stay legible), with the exact final
  interface where the reference has one, in the case's domain.
- ``heatmap_<study>_<scheme>.png`` (``grid`` studies): the error over the
  (ε, τ) grid.

The geometry comes from ``runs/<run>.npz`` (written by the runner):
``interface`` (n, 2, 2) segments, optional ``cells`` (m, 3, 2) triangles,
``exact`` (k, 2) points of the exact final interface and ``domain`` (2, 2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from validation.results import load_results
from validation.tables import _ORDERED, METRICS, study_tables

__all__ = ["plot_all"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _convergence(plt, table, out):
    param = table["param"]
    metrics = [m for m in table["metrics"] if m in _ORDERED]
    if not metrics:
        return None
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    groups = {}
    for row in table["rows"]:
        if not row["ls"]:
            groups.setdefault((row["scheme"], row["tau"] if table["path"] == "grid" else None), []).append(row)
    for ax, m in zip(axes[0], metrics):
        anchor = None
        for (label, tau), rows in groups.items():
            x = np.array([r[param] for r in rows])
            e = np.array([r[m] for r in rows])
            ok = np.isfinite(e) & (e > 0)
            if ok.sum() == 0:
                continue
            name = label + (f", τ={tau:g}" if tau is not None else "")
            ax.loglog(x[ok], e[ok], "o-", label=name)
            anchor = anchor or (x[ok][0], e[ok][0])
        if anchor is not None:
            xs = np.array(sorted({r[param] for rows in groups.values() for r in rows}))
            for p, style in ((1, "k--"), (2, "k:")):
                ax.loglog(xs, anchor[1] * (xs / anchor[0]) ** p, style, lw=0.8, label=f"slope {p}")
        ax.set_xlabel("τ" if param == "tau" else "ε")
        ax.set_title(METRICS[m])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(table["title"], fontsize=8)
    fig.tight_layout()
    path = out / f"convergence_{table['study']}.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _interfaces(plt, doc, table, out):
    from matplotlib.collections import LineCollection, PolyCollection

    recs = [r for r in doc["runs"] if r["run"]["study"] == table["study"] and r["status"] == "ok"
            and (out / "runs" / (r.get("file", "")[:-5] + ".npz")).is_file()]
    if not recs:
        return None
    recs.sort(key=lambda r: r["run"]["h"])
    finest = {}
    for r in recs:
        finest.setdefault(r["run"]["scheme_label"], r)
    load = {r["run"]["id"]: np.load(out / "runs" / (r["file"][:-5] + ".npz")) for r in recs}
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    coarse = next((r for r in reversed(recs) if "cells" in load[r["run"]["id"]].files), None)
    if coarse is not None:
        ax.add_collection(PolyCollection(load[coarse["run"]["id"]]["cells"], facecolors="none",
                                         edgecolors="0.8", linewidths=0.3))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (lab, r) in enumerate(finest.items()):
        ax.add_collection(LineCollection(load[r["run"]["id"]]["interface"], colors=colors[i % len(colors)],
                                         linewidths=1.2, label=f"{lab} (h = {r['run']['h']:g})"))
    first = load[recs[0]["run"]["id"]]
    if "exact" in first.files:
        ex = np.vstack([first["exact"], first["exact"][:1]])
        ax.plot(ex[:, 0], ex[:, 1], "k--", lw=0.8, label="exact")
    if "domain" in first.files:
        (x0, y0), (x1, y1) = first["domain"]
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    else:
        ax.autoscale()
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="upper right")
    mesh_note = f", mesh of h = {coarse['run']['h']:g}" if coarse is not None else ""
    ax.set_title(f"{table['study']}: final interfaces, finest level{mesh_note}", fontsize=9)
    path = out / f"interfaces_{table['study']}.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _heatmaps(plt, table, out):
    metrics = [m for m in table["metrics"] if m in _ORDERED]
    if table["path"] != "grid" or not metrics:
        return []
    m = metrics[0]
    paths = []
    for label in sorted({r["scheme"] for r in table["rows"] if not r["ls"]}):
        rows = [r for r in table["rows"] if not r["ls"] and r["scheme"] == label]
        eps = sorted({r["eps"] for r in rows}, reverse=True)
        tau = sorted({r["tau"] for r in rows}, reverse=True)
        grid = np.full((len(tau), len(eps)), np.nan)
        for r in rows:
            grid[tau.index(r["tau"]), eps.index(r["eps"])] = r[m]
        fig, ax = plt.subplots(figsize=(5, 4))
        im = ax.imshow(np.log10(grid), origin="upper", cmap="viridis")
        ax.set_xticks(range(len(eps)), [f"{v:.3g}" for v in eps])
        ax.set_yticks(range(len(tau)), [f"{v:.3g}" for v in tau])
        ax.set_xlabel("ε")
        ax.set_ylabel("τ")
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, "—" if not np.isfinite(v) else f"{v:.1e}", ha="center", va="center", fontsize=7, color="w")
        fig.colorbar(im, label=f"log10 {METRICS[m]}")
        ax.set_title(f"{table['study']}: {label}", fontsize=9)
        fig.tight_layout()
        safe = "".join(c if c.isalnum() or c in "-_=" else "_" for c in label)
        path = out / f"heatmap_{table['study']}_{safe}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths


def plot_all(folder) -> list[Path]:
    """Write every figure of the suite in ``folder``; returns their paths (call on one rank)."""
    out = Path(folder)
    doc = load_results(out)
    plt = _pyplot()
    paths = []
    for table in study_tables(doc):
        for p in (_convergence(plt, table, out), _interfaces(plt, doc, table, out)):
            if p is not None:
                paths.append(p)
        paths += _heatmaps(plt, table, out)
    return paths
