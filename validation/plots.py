r"""Figures of a finished suite, for a paper: PNG (300 dpi) and vector PDF side by side.

- ``convergence_<study>``: log–log errors against the refinement parameter
  (ε, or τ for ``tau_to_zero``), one panel per error, one line per scheme
  (and per τ on a grid); the least-squares observed order is in the legend,
  slope triangles for orders 1 and 2; flagged runs (:mod:`advmcf.validation.flags`)
  are drawn as open markers and left out of the lines' orders.
- ``interfaces_<study>`` (2D): (a) the final sets of every scheme at the
  finest level with the reference set, framed on the sets; (b) a detail with
  the mesh those sets were computed on (the same h as the curves).
- ``heatmap_<study>_<scheme>`` (``grid`` studies): the error over the
  (ε, τ) grid, values written in each cell in a colour readable on it.
- ``work_precision_<study>`` (``flow`` studies of two or more schemes): the
  error at T against the wall time of the scheme's run (its ``solve``
  timing, on the suite's number of ranks), one line per scheme, log–log,
  the least-squares slope in the legend, and 10⁻³ marked on the
  ρ-symmetric-difference panel.

Labels are the quantities in math text (ε, τ, h), schemes are named as in
papers (:func:`advmcf.validation.schemes.scheme_title`), the palette is Okabe–Ito's
(colour-blind safe) with a distinct marker per scheme, and there are no
internal titles: what a figure shows is in its axis labels and legend.

The geometry comes from ``runs/<run>.npz``, written by the runner with
:func:`interface_geometry`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np

from advmcf.validation.results import load_results
from advmcf.validation.schemes import scheme_title
from advmcf.validation.tables import ORDERED, study_tables

__all__ = ["figure_data", "plot_all", "interface_geometry", "METRIC_LABELS"]

#: y-axis labels of the error metrics (matplotlib math text).
METRIC_LABELS = {
    "radius_error": r"radius error $|R_h(T) - R(T)|$",
    "symdiff_rho": r"$\rho(A_h(T)\,\triangle\,A(T))$",
    "hausdorff": r"Hausdorff distance $d_H(\partial A_h, \partial A)$",
    "extinction_error": r"extinction-time error $|T^*_h - T^*|$",
    "consistency_max": r"$\max_{\partial A}\,|\delta/\tau - V|$",
    "consistency_l2": r"$\|\delta/\tau - V\|_{L^2(\partial A)}$",
    "versus_symdiff": r"$\rho(A_h^{\mathrm{(1)}}\,\triangle\,A_h^{\mathrm{(2)}})$ at $T$",
    "versus_hausdorff": r"$d_H(\partial A_h^{\mathrm{(1)}}, \partial A_h^{\mathrm{(2)}})$ at $T$",
    "straight_max": r"straight interfaces: $\max_\theta$ |rel. error|",
    "disc_max": r"discs: max |rel. error|",
    "ball_max": r"balls: max |rel. error|",
    "ellipse_max": r"weighted ellipse: max |rel. error|",
}
#: Okabe & Ito's colour-blind-safe palette (black last).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_STYLE = {"font.family": "STIXGeneral", "mathtext.fontset": "stix", "font.size": 9, "axes.labelsize": 9,
          "axes.titlesize": 9, "legend.fontsize": 7.5, "xtick.labelsize": 8, "ytick.labelsize": 8,
          "lines.linewidth": 1.2, "lines.markersize": 4.5, "axes.linewidth": 0.6, "pdf.fonttype": 42,
          "savefig.dpi": 300, "figure.dpi": 100}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_data(path: Path) -> dict:
    """The arrays of a run's ``.npz`` (name -> array); ValueError, one line naming the file, if it is not an
    ``.npz`` of arrays of at most 64 MiB (damaged, or not written by advmcf)."""
    from advmcf.meshes.files import LIMITS, check_regular_file

    try:
        check_regular_file(path, LIMITS["record"], "figure data")
        with np.load(path) as data:  # no pickles (numpy's default)
            return {k: np.asarray(data[k]) for k in data.files}
    except Exception as err:  # a damaged zip raises many kinds of error: all mean "not figure data"
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{path}: not the figure data of a run ({reason}): run the suite again with --resume "
                         "to recompute it") from None


def _save(plt, fig, out, stem):
    """``stem.png`` (300 dpi) and ``stem.pdf`` (vector); returns both paths (OSError, before anything is
    written, if a link, a device or a folder is in the way: :func:`advmcf.meshes.checks.replaceable_file`)."""
    from advmcf.meshes.checks import replaceable_file

    paths = [replaceable_file(out / f"{stem}.png"), replaceable_file(out / f"{stem}.pdf")]
    for p in paths:
        fig.savefig(p, bbox_inches="tight", pad_inches=0.02)
    plt.close(fig)
    return paths


def _math(expr: str) -> str:
    """An h rule such as ``eps/3``, ``0.5*tau`` or ``0.79*eps**1.5`` as math text (exponents braced)."""
    expr = re.sub(r"\*\*\s*([0-9.]+|\w+|\([^)]*\))", lambda m: "^{" + m.group(1).strip("()") + "}", expr)
    return (expr.replace("eps", r"\varepsilon").replace("tau", r"\tau")
            .replace("*", r"\,").replace(" ", ""))


def _study_spec(doc, study):
    """The study's TOML table from the suite source (for its h rule), or {}."""
    try:
        data = tomllib.loads(doc["suite"].get("source") or "")
    except tomllib.TOMLDecodeError:
        return {}
    return next((st for st in data.get("studies", []) if isinstance(st, dict) and st.get("name") == study), {})


def _path_note(doc, table):
    """What moves with the refinement parameter, e.g. ``$\tau = \varepsilon$, $h = \varepsilon/3$``."""
    spec = _study_spec(doc, table["study"])
    rows = [r for r in table["rows"] if not r["ls"]]
    notes = []
    if table["path"] == "diagonal":
        notes.append(r"$\tau = \varepsilon$")
    elif table["path"] == "eps_to_zero":
        notes.append(rf"$\tau = {rows[0]['tau']:g}$")
    elif table["path"] == "tau_to_zero":
        notes.append(rf"$\varepsilon = {rows[0]['eps']:g}$")
    h = spec.get("h", "eps/8")
    notes.append(rf"$h = {_math(h) if isinstance(h, str) else format(h, 'g')}$")
    return ", ".join(notes)


def _scheme_styles(doc):
    """A fixed colour and marker per scheme label across all figures of a suite."""
    labels = []
    for r in doc["runs"]:
        key = r["run"]["scheme_label"]
        if key not in labels:
            labels.append(key)
    return {k: (PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]) for i, k in enumerate(labels)}


def _titles(doc):
    return {r["run"]["scheme_label"]: scheme_title(r["run"]["scheme"], r["run"].get("options") or {})
            for r in doc["runs"]}


def _slope_triangle(ax, p, x, y, width):
    """A slope-``p`` triangle in log–log axes, right angle at the bottom right, its left corner at
    (x, y) and its horizontal leg from ``x`` to ``width * x``; the legs are labelled 1 and p."""
    from matplotlib.patches import Polygon

    x1, y1 = x * width, y * width**p
    ax.add_patch(Polygon([(x, y), (x1, y), (x1, y1)], closed=True, fill=False, edgecolor="0.35", linewidth=0.7))
    ax.text(np.sqrt(x * x1), y / 1.08, "1", ha="center", va="top", fontsize=7, color="0.25")
    ax.text(x1 * 1.03, np.sqrt(y * y1), f"{p:g}", ha="left", va="center", fontsize=7, color="0.25")


def _groups(table):
    """(scheme label, τ on a grid or None, rows, least-squares row) per line of the figure."""
    out = []
    for g in table["groups"]:
        tau = g["rows"][0]["tau"] if table["path"] == "grid" else None
        out.append((g["scheme"], tau, g["rows"], g["ls"]))
    return out


def _convergence(plt, doc, table, out):
    from matplotlib.ticker import FixedLocator, LogFormatterSciNotation, LogLocator, NullFormatter, NullLocator

    param = table["param"]

    def drawable(m):
        return any(r["status"] != "failed" and np.isfinite(r[m]) and r[m] > 0 for r in table["rows"] if not r["ls"])

    metrics = [m for m in table["metrics"] if m in ORDERED and drawable(m)]
    if not metrics:
        return []
    styles, titles = _scheme_styles(doc), _titles(doc)
    n = len(metrics)
    fig, axes = plt.subplots(1, n, figsize=(3.3 * n, 2.9), squeeze=False)
    xs = sorted({r[param] for r in table["rows"] if not r["ls"]})
    grid_taus = sorted({t for _, t, _, _ in _groups(table) if t is not None}, reverse=True)
    dashes = ["-", "--", ":", "-."]
    flagged_any = False
    for ax, m in zip(axes[0], metrics):
        drawn = []  # (x, e) of every plotted point
        for label, tau, rows, ls in _groups(table):
            x = np.array([r[param] for r in rows])
            e = np.array([r[m] for r in rows])
            good = np.array([r["status"] == "ok" for r in rows]) & np.isfinite(e) & (e > 0)
            flag = np.array([r["status"] == "flagged" for r in rows]) & np.isfinite(e) & (e > 0)
            if not (good.any() or flag.any()):
                continue
            color, marker = styles[label]
            name = titles.get(label, label)
            if tau is not None:
                name += rf", $\tau = {tau:g}$"
            order = ls.get(m + "_order") if ls is not None else float("nan")
            if order is not None and np.isfinite(order):
                name += f" (order {order:.2f})"
            ls_style = dashes[grid_taus.index(tau) % len(dashes)] if tau is not None else "-"
            ax.loglog(x[good], e[good], linestyle=ls_style, marker=marker, color=color, label=name)
            if flag.any():
                flagged_any = True
                ax.loglog(x[flag], e[flag], linestyle="none", marker=marker, color=color, markerfacecolor="white")
            drawn += list(zip(x[good | flag], e[good | flag]))
        if drawn and len(xs) >= 2:
            # slopes 1 and 2 side by side in the lower right, their tops below every point
            px, pe = np.array(drawn).T
            span = xs[-1] / xs[0]
            width = max(span**0.2, 1.3)
            top = float(pe.min()) / 1.6
            right = xs[-1] / 1.08  # slope 2 ends near the coarse end, slope 1 just left of it
            for p in (2, 1):
                _slope_triangle(ax, p, right / width, top / width**p, width)
                right = right / width / 1.15
            lo, hi = ax.get_ylim()
            ax.set_ylim(min(lo, top / width**2 / 1.5), hi)
        ax.xaxis.set_major_locator(FixedLocator(xs))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticklabels([f"{v:g}" for v in xs], rotation=45 if len(xs) > 5 else 0)
        if param == "h":
            ax.set_xlabel(rf"$h$   ($\varepsilon = {table['rows'][0]['eps']:g}$)")
        else:
            ax.set_xlabel((r"$\tau$" if param == "tau" else r"$\varepsilon$") + f"   ({_path_note(doc, table)})")
        ax.set_ylabel(METRIC_LABELS[m])
        ax.yaxis.set_major_locator(LogLocator(base=10))
        ax.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
        ax.yaxis.set_minor_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(1.5, 1.5)))
        ax.grid(True, which="major", alpha=0.25, linewidth=0.5)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, handlelength=2.2)
    if flagged_any:
        fig.text(0.01, -0.02, "open markers: flagged runs (see the table's notes), not used for the orders",
                 fontsize=7, ha="left", va="top")
    fig.tight_layout(w_pad=1.5)
    return _save(plt, fig, out, f"convergence_{table['study']}")


def _polylines(segments) -> list:
    """The segments ``(n, 2, 2)`` of a piecewise-linear interface joined into polylines (shared end
    points matched to 1e-9 of the extent), so that a curve is drawn as one path, without beads where
    antialiased segment ends overlap."""
    segs = np.asarray(segments, float)
    if segs.size == 0:
        return []
    scale = 1e-9 * (float(np.ptp(segs.reshape(-1, 2), axis=0).max()) or 1.0)
    keys = np.round(segs / scale).astype(np.int64)
    ends = {}
    for i in range(len(segs)):
        for j in (0, 1):
            ends.setdefault(tuple(keys[i, j]), []).append((i, j))
    used = np.zeros(len(segs), bool)
    lines = []
    for start in range(len(segs)):
        if used[start]:
            continue
        used[start] = True
        line = [segs[start, 0], segs[start, 1]]
        for forward in (True, False):  # extend from the last point, then from the first
            i, j = start, 1 if forward else 0
            while True:
                nxt = next(((k, m) for k, m in ends[tuple(keys[i, j])] if not used[k]), None)
                if nxt is None:
                    break
                i, m = nxt
                used[i] = True
                j = 1 - m
                (line.append if forward else lambda p: line.insert(0, p))(segs[i, j])
        lines.append(np.array(line))
    return lines


def interface_geometry(phi, case, reference, t: float, h: float):
    """Arrays for the interface figure (collective; rank 0 gets a dict, the others None; 2D only).

    ``interface`` (n, 2, 2): segments of the computed interface; ``reference``
    (k, 2, 2): segments of the reference set's boundary at ``t`` (the exact
    circle of a radial reference, else the zero level of the reference's P1
    interpolant on this mesh); ``zoom_cells`` (m, 3, 2): the mesh cells in a
    window of half-width 6h about the interface point farthest along (1, 1);
    ``zoom`` (3,): the window's centre and half-width; ``h``; ``domain``.
    """
    from advmcf.meshes.interface import interface
    from advmcf.meshes.sets import level_set

    if case.dim != 2:
        return None
    msh = phi.function_space.mesh
    comm = msh.comm
    segs = np.asarray(interface(phi).gathered())
    geo = {"interface": segs, "h": np.float64(h)}
    if case.domain is not None:
        geo["domain"] = np.asarray(case.domain)
    if reference.radius is not None:
        R = float(reference.radius(t))
        if R > 0:
            c, _ = case.radial_centre()
            theta = np.linspace(0, 2 * np.pi, 513)
            pts = c + R * np.stack([np.cos(theta), np.sin(theta)], axis=1)
            geo["reference"] = np.stack([pts[:-1], pts[1:]], axis=1)
    elif reference.shape_at is not None:
        shape = reference.shape_at(t)
        if shape is not None:
            geo["reference"] = np.asarray(interface(level_set(phi.function_space, shape)).gathered())
    if segs.size:
        pts = segs.reshape(-1, 2)
        centre = pts[np.argmax(pts @ np.array([1.0, 1.0]))]
        w = 6.0 * h
        imap = msh.topology.index_map(msh.topology.dim)
        cells = msh.geometry.x[msh.geometry.dofmaps[0][: imap.size_local]][:, :, :2]
        near = np.any(np.all(np.abs(cells - centre) <= w * 1.2, axis=2), axis=1)
        parts = comm.gather(cells[near], root=0)
        if comm.rank == 0:
            geo["zoom_cells"] = np.concatenate(parts)
            geo["zoom"] = np.array([centre[0], centre[1], w])
    return geo if comm.rank == 0 else None


def _interfaces(plt, doc, table, folder, out):
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import Rectangle

    def npz(r):
        return folder / "runs" / (r.get("file", "")[:-5] + ".npz")

    recs = [r for r in doc["runs"] if r["run"]["study"] == table["study"] and r["status"] in ("ok", "flagged")
            and npz(r).is_file()]
    if not recs or table["kind"] == "perimeter":
        return []
    recs.sort(key=lambda r: (r["run"]["h"], r["run"][table["param"]]))
    finest = {}
    for r in recs:
        finest.setdefault(r["run"]["scheme_label"], r)
    load = {r["run"]["id"]: figure_data(npz(r)) for r in finest.values()}
    with_curve = [r for r in finest.values() if load[r["run"]["id"]]["interface"].size]
    if not with_curve:
        return []
    styles, titles = _scheme_styles(doc), _titles(doc)
    fig, (ax, az) = plt.subplots(1, 2, figsize=(6.8, 3.4))
    first = load[with_curve[0]["run"]["id"]]
    ref = first["reference"] if "reference" in first else None
    ref_kind = table["reference"].split(" (")[0]
    ref_label = ("exact" if table["reference"].startswith(("radial", "exact")) else "reference") + f" ({ref_kind})"
    for a in (ax, az):
        if ref is not None:
            a.add_collection(LineCollection(_polylines(ref), colors="k", linewidths=1.0, linestyles=(0, (4, 2)),
                                            label=ref_label, zorder=3))
        for r in with_curve:
            color, _ = styles[r["run"]["scheme_label"]]
            a.add_collection(LineCollection(_polylines(load[r["run"]["id"]]["interface"]), colors=color,
                                            linewidths=1.3, label=titles.get(r["run"]["scheme_label"]), zorder=2))
    pts = np.concatenate([load[r["run"]["id"]]["interface"].reshape(-1, 2) for r in with_curve]
                         + ([ref.reshape(-1, 2)] if ref is not None else []))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.08 * float(np.max(hi - lo)) + 1e-12
    mid, half = (lo + hi) / 2, float(np.max(hi - lo)) / 2 + pad
    ax.set_xlim(mid[0] - half, mid[0] + half)
    ax.set_ylim(mid[1] - half, mid[1] + half)
    h = float(first["h"]) if "h" in first else with_curve[0]["run"]["h"]
    if "zoom" in first:
        cx, cy, w = first["zoom"]
        az.add_collection(PolyCollection(first["zoom_cells"], facecolors="none", edgecolors="0.72",
                                         linewidths=0.4, zorder=1))
        az.set_xlim(cx - w, cx + w)
        az.set_ylim(cy - w, cy + w)
        ax.add_patch(Rectangle((cx - w, cy - w), 2 * w, 2 * w, fill=False, edgecolor="0.3", linewidth=0.7, zorder=4))
        ax.annotate("(b)", (cx + w, cy + w), xytext=(2, 2), textcoords="offset points", fontsize=7, color="0.3")
    run = with_curve[0]["run"]
    when = "after one step" if table["kind"] == "one_step" else f"at $T = {run['T']:g}$"
    ax.set_title(rf"(a) final sets {when}, $\varepsilon = {run['eps']:g}$, $\tau = {run['tau']:g}$", loc="left")
    az.set_title(rf"(b) detail with the mesh, $h = {h:.3g}$", loc="left")
    from matplotlib.ticker import MaxNLocator

    for a in (ax, az):
        a.xaxis.set_major_locator(MaxNLocator(5))
        a.yaxis.set_major_locator(MaxNLocator(5))
        a.set_aspect("equal")
        a.set_xlabel("$x$")
        a.set_ylabel("$y$")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(3, len(labels)), frameon=False,
               bbox_to_anchor=(0.5, -0.06))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _save(plt, fig, out, f"interfaces_{table['study']}")


def _heatmaps(plt, doc, table, out):
    metrics = [m for m in table["metrics"] if m in ORDERED]
    if table["path"] != "grid" or not metrics:
        return []
    m = metrics[0]
    titles = _titles(doc)
    paths = []
    for label in dict.fromkeys(r["scheme"] for r in table["rows"] if not r["ls"]):
        rows = [r for r in table["rows"] if not r["ls"] and r["scheme"] == label]
        eps = sorted({r["eps"] for r in rows}, reverse=True)
        tau = sorted({r["tau"] for r in rows}, reverse=True)
        grid = np.full((len(tau), len(eps)), np.nan)
        flagged = np.zeros(grid.shape, bool)
        for r in rows:
            i, j = tau.index(r["tau"]), eps.index(r["eps"])
            grid[i, j] = r[m] if r["status"] != "failed" else np.nan
            flagged[i, j] = r["status"] == "flagged"
        fig, ax = plt.subplots(figsize=(3.6, 2.9))
        with np.errstate(divide="ignore", invalid="ignore"):
            lg = np.log10(grid)
        cmap = plt.get_cmap("viridis")
        im = ax.imshow(lg, origin="upper", cmap=cmap, aspect="auto")
        ax.set_xticks(range(len(eps)), [f"{v:g}" for v in eps])
        ax.set_yticks(range(len(tau)), [f"{v:g}" for v in tau])
        ax.set_xlabel(r"adversarial budget $\varepsilon$")
        ax.set_ylabel(r"time step $\tau$")
        finite = np.isfinite(lg)
        lo, hi = (np.min(lg[finite]), np.max(lg[finite])) if finite.any() else (0.0, 1.0)
        for (i, j), v in np.ndenumerate(grid):
            if not np.isfinite(v):
                text, colour = "failed", "k"
            else:
                rgb = cmap((lg[i, j] - lo) / (hi - lo) if hi > lo else 0.5)[:3]
                luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
                colour = "k" if luminance > 0.45 else "w"
                mant, exp = f"{v:.1e}".split("e")
                text = rf"${mant}{{\times}}10^{{{int(exp)}}}$" + ("*" if flagged[i, j] else "")
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color=colour)
        cb = fig.colorbar(im)
        cb.set_label(r"$\log_{10}$ " + METRIC_LABELS[m])
        ax.set_title(titles.get(label, label) + (", * flagged" if flagged.any() else ""), loc="left")
        fig.tight_layout()
        safe = "".join(c if c.isalnum() or c in "-_=" else "_" for c in label)
        paths += _save(plt, fig, out, f"heatmap_{table['study']}_{safe}")
    return paths


#: thresholds of the phase map: the displacement is pinned below this fraction of the exact one,
#: and converged when within this relative error of it
PHASE_PINNED, PHASE_CONVERGED = 0.5, 0.02


def _phase_map(plt, doc, table, out):
    """``path = "phase"`` studies: the relative error of the radial displacement over the (ε/h, τ/ε)
    plane at fixed ε, each cell labelled converged (error < 2 %), pinned (the set moved less than half
    of the reference's displacement) or biased (neither), with the line h/(τ|V|) = 1."""
    if table["path"] != "phase" or "travel_ratio" not in table["metrics"]:
        return []
    from matplotlib.colors import BoundaryNorm, ListedColormap

    titles = _titles(doc)
    speed = {}
    for r in doc["runs"]:
        ratio = (r.get("ratios") or {}).get("h_over_tau_V")
        if r["run"]["study"] == table["study"] and ratio and np.isfinite(ratio):
            speed[r["run"]["id"]] = r["run"]["h_max"] / (r["run"]["tau"] * ratio)
    V = float(np.median(list(speed.values()))) if speed else float("nan")
    paths = []
    for label in dict.fromkeys(r["scheme"] for r in table["rows"] if not r["ls"]):
        rows = [r for r in table["rows"] if not r["ls"] and r["scheme"] == label]
        eps = rows[0]["eps"]
        xs = sorted({round(eps / r["h"], 6) for r in rows})
        ys = sorted({round(r["tau"] / eps, 6) for r in rows})
        err = np.full((len(ys), len(xs)), np.nan)
        klass = np.full(err.shape, -1)
        for r in rows:
            i, j = ys.index(round(r["tau"] / eps, 6)), xs.index(round(eps / r["h"], 6))
            t = r.get("travel_ratio", np.nan)
            if r["status"] == "failed" or not np.isfinite(t):
                continue
            err[i, j] = abs(1 - t)
            klass[i, j] = 0 if t < PHASE_PINNED else (2 if abs(1 - t) < PHASE_CONVERGED else 1)
        fig, ax = plt.subplots(figsize=(4.4, 3.2))
        cmap = ListedColormap(["#D55E00", "#E69F00", "#56B4E9"])  # pinned, biased, converged
        shown = np.ma.masked_less(klass, 0)
        ax.pcolormesh(np.arange(len(xs) + 1) - 0.5, np.arange(len(ys) + 1) - 0.5, shown, cmap=cmap,
                      norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3), shading="flat")
        for (i, j), v in np.ndenumerate(err):
            text = "failed" if not np.isfinite(v) else f"{100 * v:.0f}%" if v >= 0.1 else f"{100 * v:.1f}%"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="k", zorder=3,
                    bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in cmap.colors]
        labels = [f"pinned: moved < {PHASE_PINNED:.0%} of the reference's displacement",
                  f"biased: displacement error ≥ {PHASE_CONVERGED:.0%}",
                  f"converged: displacement error < {PHASE_CONVERGED:.0%}"]
        if np.isfinite(V):  # h/(τ|V|) = 1  <=>  τ/ε = h/(ε|V|) = 1/(|V| ε/h), drawn in cell coordinates
            xx = np.linspace(0, len(xs) - 1, 200)
            xval = np.interp(xx, np.arange(len(xs)), xs)
            yline = 1.0 / (V * xval)
            yy = np.interp(np.log(yline), np.log(ys), np.arange(len(ys)), left=np.nan, right=np.nan)
            (line,) = ax.plot(xx, yy, "k--", linewidth=1.2)
            handles.append(line)
            labels.append(r"$h/(\tau|V|) = 1$ (below it a step moves the boundary less than a cell)")
        ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
        ax.set_xlabel(r"$\varepsilon/h$ (cells across the adversarial budget)")
        ax.set_ylabel(r"$\tau/\varepsilon$")
        fig.legend(handles, labels, loc="lower center", ncol=1, fontsize=7, frameon=False,
                   bbox_to_anchor=(0.5, -0.02))
        ax.set_title(f"{titles.get(label, label)}, $\\varepsilon = {eps:g}$, $T = {table['T']:g}$: "
                     r"$|1 - \Delta R_h/\Delta R|$", loc="left", fontsize=8)
        fig.tight_layout(rect=(0, 0.21, 1, 1))
        safe = "".join(c if c.isalnum() or c in "-_=" else "_" for c in label)
        paths += _save(plt, fig, out, f"phase_{table['study']}_{safe}")
    return paths


def _perimeter_angles(plt, doc, table, folder, out):
    """Relative error of Per_ε of straight interfaces against their direction (2D perimeter studies):
    one curve per discretization and ε/h, the offset-to-offset scatter shaded."""
    recs = [r for r in doc["runs"] if r["run"]["study"] == table["study"] and r["status"] == "ok"]
    files = {r["run"]["id"]: folder / "runs" / (r.get("file", "")[:-5] + ".npz") for r in recs}
    data = {k: figure_data(f) for k, f in files.items() if f.is_file()}
    recs = [r for r in recs if r["run"]["id"] in data and "angle_deg" in data[r["run"]["id"]]]
    if table["kind"] != "perimeter" or not recs:
        return []
    ratios = sorted({round(r["run"]["eps"] / r["run"]["h"], 6) for r in recs})
    discs = list(dict.fromkeys(r["run"]["scheme"] for r in recs))
    fig, axes = plt.subplots(1, len(discs), figsize=(3.4 * len(discs), 2.9), squeeze=False, sharey=False)
    names = {"isotropic": "isotropic (fitted mixture of balls)", "plain": r"plain vertex ball $B_\varepsilon$"}
    for ax, disc in zip(axes[0], discs):
        for i, ratio in enumerate(ratios):
            r = next((r for r in recs if r["run"]["scheme"] == disc
                      and round(r["run"]["eps"] / r["run"]["h"], 6) == ratio), None)
            if r is None:
                continue
            d = data[r["run"]["id"]]
            color = PALETTE[i % len(PALETTE)]
            ax.plot(d["angle_deg"], 100 * d["mean"], marker=MARKERS[i % len(MARKERS)], ms=3, color=color,
                    label=rf"$\varepsilon/h = {ratio:g}$")
            ax.fill_between(d["angle_deg"], 100 * (d["mean"] - d["sd"]), 100 * (d["mean"] + d["sd"]),
                            color=color, alpha=0.15, linewidth=0)
        ax.axhline(0.0, color="k", linewidth=0.6)
        ax.set_xlabel(r"direction of the interface's normal $\theta$ (degrees)")
        ax.set_ylabel(r"$\mathrm{Per}^h_\varepsilon/\mathrm{Per}_\varepsilon - 1$ (%)")
        ax.set_title(names.get(disc, disc), loc="left", fontsize=9)
        ax.set_xticks(np.arange(0, 91, 15))
        ax.grid(True, alpha=0.25, linewidth=0.5)
        ax.legend(frameon=False, fontsize=7)
    fig.text(0.01, -0.02, "mean over offsets of the interface; shaded: ± its offset-to-offset standard deviation",
             fontsize=7, ha="left", va="top")
    fig.tight_layout(w_pad=1.5)
    return _save(plt, fig, out, f"angles_{table['study']}")


def _work_precision(plt, doc, table, out):
    """Error against wall time per scheme (see the module docstring)."""
    groups = [g for g in table["groups"] if any(r["status"] != "failed" for r in g["rows"])]
    if table["kind"] != "flow" or table["path"] == "grid" or len({g["scheme"] for g in groups}) < 2:
        return []
    seconds = {r["run"]["id"]: (r.get("timings") or {}).get("solve") for r in doc["runs"]}
    metrics = [m for m in ("symdiff_rho", "radius_error") if m in table["metrics"]]
    if not metrics:
        return []
    styles, titles = _scheme_styles(doc), _titles(doc)
    ranks = (doc.get("environment") or {}).get("nprocs")
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.1), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        for g in groups:
            pts = [(seconds.get(r["id"]), r[m]) for r in g["rows"]
                   if r["status"] == "ok" and seconds.get(r["id"]) and np.isfinite(r[m]) and r[m] > 0]
            if not pts:
                continue
            t, e = np.array(pts).T
            color, marker = styles[g["scheme"]]
            name = titles.get(g["scheme"], g["scheme"])
            if len(t) > 1 and np.ptp(np.log(t)) > 0:
                name += f" (slope {np.polyfit(np.log(t), np.log(e), 1)[0]:.2f})"
            ax.loglog(t, e, marker=marker, color=color, label=name)
        if m == "symdiff_rho":
            ax.axhline(1e-3, color="0.5", linewidth=0.7, linestyle=":")
        ax.set_xlabel("wall time of the run [s]" + (f" ({ranks} ranks)" if ranks else ""))
        ax.set_ylabel(METRIC_LABELS[m] + f" at $T = {table['T']:g}$")
        ax.grid(True, which="major", alpha=0.25, linewidth=0.5)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), frameon=False, handlelength=2.2)
    fig.tight_layout(w_pad=1.5)
    return _save(plt, fig, out, f"work_precision_{table['study']}")


def plot_all(folder, out=None) -> list[Path]:
    """Write every figure of the suite in ``folder`` into ``out`` (default ``folder``), PNG and PDF;
    returns their paths (call on one rank)."""
    folder = Path(folder)
    doc = load_results(folder)
    out = folder if out is None else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    paths = []
    with plt.rc_context(_STYLE):
        for table in study_tables(doc):
            paths += _convergence(plt, doc, table, out)
            paths += _interfaces(plt, doc, table, folder, out)
            paths += _heatmaps(plt, doc, table, out)
            paths += _perimeter_angles(plt, doc, table, folder, out)
            paths += _phase_map(plt, doc, table, out)
            paths += _work_precision(plt, doc, table, out)
    return paths
