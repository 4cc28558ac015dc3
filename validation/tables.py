r"""Error tables with observed orders: Markdown, LaTeX (booktabs + siunitx), tidy CSV.

One table per study.  Rows are runs, grouped by scheme (and by τ on an
(ε, τ) grid), coarse to fine along the study's refinement parameter (ε, or τ
for ``tau_to_zero``).  Each error column is followed by its pairwise observed
order (in the row of the finer level), and each group ends with a row of
least-squares orders (:mod:`advmcf.validation.orders`).  Every row reports h/ε and
:math:`h/(\tau|V|)`, :math:`|V|` the reference speed at t = 0, so pinning is visible; tables
with a thresholding or Allen–Cahn run add that scheme's regime (:data:`RATIOS`:
h/√τ, δ/h, τ_AC/δ²).  The h
column is the measured longest edge h_max of the run's mesh (a mesh file's
own h).

Degenerate runs (:mod:`advmcf.validation.flags`) get a marker (a, b, ...) after the
scheme and a footnote under the table saying what is wrong; orders are never
taken through them (a pairwise order with a flagged or failed end is left
blank, the least-squares fit skips them).  Failed runs are listed under their
table with the reason.

Formats (:func:`render`):

- ``md``: Markdown, one table per study, real minus signs.
- ``tex``: one ``tabular`` per study for ``\input``; numbers in siunitx ``S``
  columns (decimal-aligned, exponents as ×10ⁿ, real minus signs).  Needs
  ``\usepackage{booktabs,siunitx}``.
- ``csv``: tidy, one row per run (every study), 8 significant digits (full
  precision is in ``results.json``); the orders are in :func:`orders_csv`.

``columns`` selects and orders the columns (keys of :func:`column_keys`;
an error's order column follows it when its key ``<metric>_order`` is
listed).  The tables depend only on the runs' parameters and metrics, never
on timings; the number of ranks moves the metrics by at most
:data:`advmcf.validation.results.RANK_RTOL` relative, so a last printed digit can
differ.
"""

from __future__ import annotations

import csv
import io
import math
import re

import numpy as np

from advmcf.validation.orders import least_squares_order, pairwise_orders

__all__ = ["render", "study_tables", "orders_csv", "column_keys", "METRICS", "ORDERED", "RATIOS", "FORMATS"]

#: Metric keys in column order, with their printed names.
METRICS = {"radius_error": "radius err", "symdiff_rho": "ρ-symdiff", "hausdorff": "Hausdorff",
           "extinction_error": "extinction err", "consistency_max": "consist. max",
           "consistency_l2": "consist. L²", "versus_symdiff": "ρ-symdiff A vs B",
           "versus_hausdorff": "Hausdorff A vs B", "moved_rho": "moved (ρ)", "violations": "violations",
           "pairs": "pairs", "straight_max": "straight: max|err|", "straight_scatter": "offset scatter",
           "disc_max": "disc: max|err|", "ball_max": "ball: max|err|", "ellipse_max": "ellipse: max|err|",
           "support_error": "support fit", "travel_ratio": "travel ratio"}
#: Metrics that get an observed-order column.
ORDERED = ("radius_error", "symdiff_rho", "hausdorff", "extinction_error", "consistency_max",
            "consistency_l2", "versus_symdiff", "versus_hausdorff", "straight_max", "disc_max", "ball_max",
            "ellipse_max")
#: The output formats of :func:`render`.
FORMATS = ("md", "tex", "csv")
_PARAMS = [("scheme", "scheme", "text"), ("eps", "ε", "par"), ("tau", "τ", "par"), ("h", "h", "par"),
           ("h_over_eps", "h/ε", "ratio"), ("h_over_tau_V", "h/(τ|V|)", "ratio")]
#: Regime ratios of some schemes (:attr:`advmcf.validation.schemes.Scheme.regime`), with their printed
#: names: a column appears in a table where a run of it reports the ratio.
RATIOS = {"h_over_sqrt_tau": "h/√τ", "delta_over_h": "δ/h", "tau_over_delta2": "τ_AC/δ²"}
_MARKERS = "abcdefghijklmnopqrstuvwxyz"
_MINUS = "\u2212"


def _num(v):
    return float("nan") if v is None else float(v)


def _usable(row):
    return row["status"] == "ok"


def _measured_h(record) -> float:
    """The run's mesh h_max as measured (as planned for a failed run; the study's h in old records)."""
    for h in ((record.get("mesh") or {}).get("h_max"), record["run"].get("h_max")):
        if h is not None and math.isfinite(h):
            return float(h)
    return float(record["run"]["h"])


def study_tables(doc: dict) -> list[dict]:
    """The tables of a results document: one dict per study with ``title``, ``reference``,
    ``metrics`` (keys present), ``rows`` (dicts, least-squares rows included), ``groups`` (scheme,
    group key, its rows and least-squares row), ``failed`` ((id, reason) pairs) and ``notes``
    ((marker, run id, flag messages) of the flagged rows)."""
    tables = []
    for study in doc["suite"]["studies"]:
        recs = [r for r in doc["runs"] if r["run"]["study"] == study]
        if not recs:
            continue
        first = recs[0]["run"]
        present = [m for m in METRICS if any(m in (r.get("metrics") or {}) for r in recs)]
        param = first["param"]
        groups = {}
        for r in recs:
            groups.setdefault(tuple(r["run"]["group"]), []).append(r)
        rows, failed, notes, group_list = [], [], [], []
        for gkey, members in groups.items():
            members.sort(key=lambda r: (-r["run"][param], -r["run"]["h"]))
            grp_rows = []
            for r in members:
                run = r["run"]
                row = {"scheme": run["scheme_label"], "eps": run["eps"], "tau": run["tau"], "h": _measured_h(r),
                       "h_over_eps": _num((r.get("ratios") or {}).get("h_over_eps")),
                       "h_over_tau_V": _num((r.get("ratios") or {}).get("h_over_tau_V")),
                       "status": r["status"], "ls": False, "id": run["id"], "marker": "",
                       "flags": [f["code"] for f in r.get("flags") or []],
                       "case": run["case"], "kind": run["kind"], "path": run["path"]}
                for key in RATIOS:
                    row[key] = _num((r.get("ratios") or {}).get(key))
                for m in present:
                    row[m] = _num((r.get("metrics") or {}).get(m))
                    row[m + "_order"] = float("nan")
                if r["status"] == "failed":
                    failed.append((run["id"], r.get("reason") or "unknown"))
                if r.get("flags"):
                    row["marker"] = _MARKERS[len(notes) % len(_MARKERS)]
                    notes.append((row["marker"], run["id"], [f"{f['code']}: {f['message']}" for f in r["flags"]]))
                grp_rows.append(row)
            rows += grp_rows
            group_list.append({"scheme": members[0]["run"]["scheme_label"], "group": list(gkey[1:]),
                               "rows": grp_rows, "ls": None})
            x = np.array([g[param] for g in grp_rows])
            if len(members) > 1 and np.all(np.diff(x) < 0):
                ls_row = {"scheme": f"{members[0]['run']['scheme_label']}: least-squares order",
                          "ls": True, "status": "ok", "marker": "", "flags": []}
                good = np.array([_usable(g) for g in grp_rows])
                for m in present:
                    if m not in ORDERED:
                        continue
                    e = np.array([g[m] for g in grp_rows])
                    for j, (g, p) in enumerate(zip(grp_rows[1:], pairwise_orders(x, e))):
                        g[m + "_order"] = p if good[j] and good[j + 1] else float("nan")
                    ls_row[m + "_order"] = least_squares_order(x[good], e[good]) if good.sum() > 1 else float("nan")
                if not good.all():  # say which rows the fit left out
                    out = [f"({g['marker']})" if g["marker"] else "failed" for g in grp_rows if not _usable(g)]
                    ls_row["scheme"] += f" over {int(good.sum())} of {len(grp_rows)} rows ({', '.join(out)} left out)"
                rows.append(ls_row)
                group_list[-1]["ls"] = ls_row
        ref = sorted({r.get("reference") for r in recs if r.get("reference")})
        if not ref:
            ref = [doc["suite"].get("references", {}).get(first["case"], "none")]
        along = {"tau": "τ", "h": "h, ε fixed"}.get(param, "ε")
        horizon = "one step of size τ" if first["kind"] == "one_step" else f"T = {first['T']:g}"
        title = (f"{study}: case {first['case']}, {first['kind']}, path {first['path']}"
                 f" (orders along {along}), {horizon}")
        if first["kind"] == "perimeter":
            extra = first.get("extra") or {}
            title = (f"{study}: Per_ε on the {extra.get('mesh')} mesh of [−1, 1]^{extra.get('dim')}, "
                     f"ε = {first['eps']:g}, relative errors (orders along h, ε fixed)")
        ratios = [k for k in RATIOS if any(not math.isnan(row.get(k, math.nan)) for row in rows)]
        tables.append({"study": study, "title": title, "reference": "; ".join(ref), "param": param,
                       "metrics": present, "ratios": ratios, "rows": rows, "groups": group_list, "failed": failed, "notes": notes,
                       "case": first["case"], "path": first["path"], "kind": first["kind"], "T": first["T"]})
    return tables


def _all_columns(metrics, ratios=()):
    cols = list(_PARAMS) + [(k, RATIOS[k], "ratio") for k in ratios]
    for m in metrics:
        cols.append((m, METRICS[m], "count" if m in ("violations", "pairs") else "err"))
        if m in ORDERED:
            cols.append((m + "_order", "order", "order"))
    return cols


def column_keys(doc: dict) -> list[str]:
    """Every column key the tables of ``doc`` can show, in the default order."""
    tables = study_tables(doc)
    metrics = [m for m in METRICS if any(m in t["metrics"] for t in tables)]
    return [k for k, _, _ in _all_columns(metrics, _ratios_of(tables))]


def _ratios_of(tables):
    return [k for k in RATIOS if any(k in t["ratios"] for t in tables)]


def _select(cols, columns):
    """The columns ``cols`` restricted to and ordered as ``columns`` (None: all); 'scheme' always first."""
    if columns is None:
        return cols
    by_key = {c[0]: c for c in cols}
    chosen = [by_key[k] for k in columns if k in by_key]
    if not chosen or chosen[0][0] != "scheme":
        chosen = [by_key["scheme"]] + [c for c in chosen if c[0] != "scheme"]
    return chosen


def _check_columns(doc, columns):
    if columns is None:
        return
    known = column_keys(doc)
    unknown = [k for k in columns if k not in known]
    if unknown:
        raise ValueError(f"columns: unknown column {unknown[0]!r} (this suite has: {', '.join(known)})")


def _fmt(value, kind, missing):
    if kind == "text":
        return str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return {"par": f"{value:.4g}", "ratio": f"{value:.3g}", "err": f"{value:.3e}",
            "order": f"{value:.2f}", "count": f"{value:.0f}"}[kind]


def _cell(row, key, kind, missing):
    if row["ls"] and kind != "order" and key != "scheme":
        return ""
    if row["status"] == "failed" and kind in ("err", "count"):
        return "failed"
    return _fmt(row.get(key), kind, missing)


def _md_minus(cell):
    """Real minus signs for negative numbers (not in exponents: ``1.2e-03`` stays)."""
    return _MINUS + cell[1:] if re.fullmatch(r"-\d.*", cell) else cell


def _md(tables, columns):
    out = []
    for t in tables:
        cols = _select(_all_columns(t["metrics"], t["ratios"]), columns)
        out.append(f"### {t['title']}\n\nReference: {t['reference']}\n")
        out.append("| " + " | ".join(c[1].replace("|", "\\|") for c in cols) + " |")
        out.append("|" + "|".join("---" if c[2] == "text" else "---:" for c in cols) + "|")
        for row in t["rows"]:
            cells = [_md_minus(_cell(row, k, kind, "—")) for k, _, kind in cols]
            if row["ls"]:
                cells[0] = f"*{cells[0]}*"
            elif row["marker"]:
                cells[0] += f" ({row['marker']})"
            out.append("| " + " | ".join(cells) + " |")
        for marker, rid, messages in t["notes"]:
            out.append(f"\n({marker}) `{rid}`: " + "; ".join(messages) + " (not used for orders)")
        for rid, reason in t["failed"]:
            out.append(f"\nFailed: `{rid}`: {reason}")
        out.append("")
    return "\n".join(out)


_TEX_TEXT = (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
             ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("~", r"\textasciitilde{}"), ("^", r"\textasciicircum{}"))
_TEX_MATH = (("ρ", r"$\rho$"), ("ε", r"$\varepsilon$"), ("τ", r"$\tau$"), ("κ", r"$\kappa$"),
             ("ν", r"$\nu$"), ("∂", r"$\partial$"), ("²", r"$^2$"), ("|V|", r"$|V|$"), ("≥", r"$\geq$"),
             ("−", "$-$"), ("Δ", r"$\Delta$"))


def _tex_escape(s):
    for a, b in _TEX_TEXT + _TEX_MATH:
        s = s.replace(a, b)
    return s


_HEADS = {"ε": r"$\varepsilon$", "τ": r"$\tau$", "h": "$h$", "h/ε": r"$h/\varepsilon$",
          "h/(τ|V|)": r"$h/(\tau|V|)$", "order": "order", "h/√τ": r"$h/\sqrt{\tau}$", "δ/h": r"$\delta/h$",
          "τ_AC/δ²": r"$\tau_\mathrm{AC}/\delta^2$"}
_NUMBER = re.compile(r"(-?)(\d+)(?:\.(\d+))?(?:e([-+])(\d+))?")


def _table_format(cells):
    """siunitx ``table-format`` covering the numbers among ``cells`` (None if there are none)."""
    parts = [m.groups() for m in (_NUMBER.fullmatch(c) for c in cells) if m]
    if not parts:
        return None
    sign = "-" if any(p[0] for p in parts) else ""
    ints = max(len(p[1]) for p in parts)
    decs = max(len(p[2] or "") for p in parts)
    exp = [p for p in parts if p[4]]
    fmt = f"{sign}{ints}" + (f".{decs}" if decs else "")
    if exp:
        fmt += "e" + ("-" if any(p[3] == "-" for p in exp) else "") + str(max(len(p[4].lstrip("0") or "0") for p in exp))
    return fmt


def _tex_table(t, columns):
    """One study as a booktabs tabular with siunitx S columns, its notes below."""
    cols = _select(_all_columns(t["metrics"], t["ratios"]), columns)
    body = [[_cell(row, k, kind, "--") for k, _, kind in cols] for row in t["rows"]]
    spec, fmts = [], []
    for j, (key, _, kind) in enumerate(cols):
        fmt = None if kind == "text" else _table_format([b[j] for b in body])
        fmts.append(fmt)
        spec.append("l" if fmt is None else f"S[table-format={fmt}]")
    out = [f"% {_tex_escape(t['title'])}", f"% reference: {_tex_escape(t['reference'])}",
           r"\begin{tabular}{" + "".join(spec) + "}", r"\toprule"]
    heads = [_HEADS.get(c[1], _tex_escape(c[1])) for c in cols]
    out.append(" & ".join(h if f is None else "{" + h + "}" for h, f in zip(heads, fmts)) + r" \\")
    out.append(r"\midrule")
    for row, cells in zip(t["rows"], body):
        tex = []
        for j, c in enumerate(cells):
            if j == 0:
                c = _tex_escape(c)
                if row["ls"]:
                    c = r"\emph{" + c + "}"
                elif row["marker"]:
                    c += r"\textsuperscript{" + row["marker"] + "}"
                tex.append(c)
            elif fmts[j] is not None and not _NUMBER.fullmatch(c):
                tex.append("{" + _tex_escape(c) + "}" if c else "{}")
            else:
                tex.append(c)
        if row["ls"]:
            out.append(r"\addlinespace[1pt]")
        out.append(" & ".join(tex) + r" \\")
    out.append(r"\bottomrule")
    out.append(r"\end{tabular}")
    notes = [r"\textsuperscript{" + m + "}~" + _tex_escape("; ".join(msgs)) + " (not used for orders)."
             for m, _, msgs in t["notes"]]
    notes += [r"Failed: \texttt{" + _tex_escape(rid) + "}: " + _tex_escape(reason) + "."
              for rid, reason in t["failed"]]
    if notes:
        out.append(r"\par\smallskip{\footnotesize " + r" \\ ".join(notes) + r"\par}")
    return "\n".join(out) + "\n"


def _tex(tables, columns):
    head = ("% advmcf error tables; needs \\usepackage{booktabs,siunitx}\n"
            "% (siunitx S columns: decimal-aligned numbers, exponents as \\times 10^n, real minus signs)\n")
    return head + "\n".join(_tex_table(t, columns) for t in tables)


def _csv_value(v):
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{float(v):.8g}"  # 8 significant digits: round-off between rank counts stays invisible


def _csv(tables, columns):
    """Tidy CSV: one row per run of every study; no order columns (see :func:`orders_csv`)."""
    metrics = [m for m in METRICS if any(m in t["metrics"] for t in tables)]
    cols = [c for c in _select(_all_columns(metrics, _ratios_of(tables)), columns) if c[2] != "order"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["study", "case", "kind", "path"] + [k for k, _, _ in cols] + ["status", "flags"])
    for t in tables:
        for row in t["rows"]:
            if not row["ls"]:
                w.writerow([t["study"], row["case"], row["kind"], row["path"]]
                           + [_csv_value(row.get(k)) for k, _, _ in cols] + [row["status"], " ".join(row["flags"])])
    return buf.getvalue()


def orders_csv(doc: dict) -> str:
    """Tidy CSV of the observed orders: one row per (study, group, metric, pair of levels or fit).

    Columns: study, scheme, group (the run group, e.g. ``tau=0.05`` on a grid),
    metric, along (``eps`` or ``tau``), kind (``pairwise`` or
    ``least_squares``), coarse and fine (the refinement parameters; the range
    of the fit for ``least_squares``), order.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["study", "scheme", "group", "metric", "along", "kind", "coarse", "fine", "order"])
    for t in study_tables(doc):
        param = t["param"]
        for g in t["groups"]:
            if g["ls"] is None:
                continue
            members = g["rows"]
            for m in t["metrics"]:
                if m not in ORDERED:
                    continue
                for a, b in zip(members, members[1:]):
                    w.writerow([t["study"], g["scheme"], " ".join(g["group"]), m, param, "pairwise",
                                _csv_value(a[param]), _csv_value(b[param]), _csv_value(b[m + "_order"])])
                good = [r[param] for r in members if _usable(r)]
                w.writerow([t["study"], g["scheme"], " ".join(g["group"]), m, param, "least_squares",
                            _csv_value(max(good) if good else None), _csv_value(min(good) if good else None),
                            _csv_value(g["ls"][m + "_order"])])
    return buf.getvalue()


def render(doc: dict, fmt: str, columns=None, studies=None) -> str:
    """The tables of ``doc`` (a results document) in ``fmt``: ``md``, ``tex`` or ``csv``.

    ``columns``: column keys to show, in order (see :func:`column_keys`);
    ``studies``: names of the studies to include (default all).  ValueError
    naming the bad value otherwise.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format = {fmt!r}: must be md, tex or csv")
    _check_columns(doc, columns)
    tables = study_tables(doc)
    if studies is not None:
        names = [t["study"] for t in tables]
        unknown = [s for s in studies if s not in names]
        if unknown:
            raise ValueError(f"study {unknown[0]!r}: not in this suite (studies: {', '.join(names)})")
        tables = [t for t in tables if t["study"] in studies]
    return {"md": _md, "tex": _tex, "csv": _csv}[fmt](tables, columns)
