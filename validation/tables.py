r"""Error tables with observed orders, as Markdown, LaTeX (booktabs) or CSV.

One table per study.  Rows are runs, grouped by scheme (and by τ on an
(ε, τ) grid), coarse to fine along the study's refinement parameter (ε, or τ
for ``tau_to_zero``).  Each error column is followed by its pairwise observed
order (in the row of the finer level), and each group ends with a row of
least-squares orders (:mod:`validation.orders`).  The CSV carries 8
significant digits (full precision is in ``results.json``).  Every row reports h/ε and
h/(τ|V|), |V| the reference speed at t = 0, so pinning is visible.  Failed
runs are listed under their table with the reason.  The tables depend only on
the runs' parameters and metrics, never on timings or the number of ranks.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from validation.orders import least_squares_order, pairwise_orders

__all__ = ["render", "study_tables", "METRICS"]

#: Metric keys in column order, with their printed names.
METRICS = {"radius_error": "radius err", "symdiff_rho": "ρ-symdiff", "hausdorff": "Hausdorff",
           "extinction_error": "extinction err", "consistency_max": "consist. max",
           "consistency_l2": "consist. L²", "versus_symdiff": "ρ-symdiff A vs B",
           "versus_hausdorff": "Hausdorff A vs B", "moved_rho": "moved (ρ)", "violations": "violations",
           "pairs": "pairs"}
#: Metrics that get an observed-order column.
_ORDERED = ("radius_error", "symdiff_rho", "hausdorff", "extinction_error", "consistency_max",
            "consistency_l2", "versus_symdiff", "versus_hausdorff")


def _num(v):
    return float("nan") if v is None else float(v)


def study_tables(doc: dict) -> list[dict]:
    """The tables of a results document: one dict per study with ``title``, ``reference``,
    ``metrics`` (keys present), ``rows`` (dicts) and ``failed`` ((id, reason) pairs)."""
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
        rows, failed = [], []
        for key, members in groups.items():
            members.sort(key=lambda r: (-r["run"][param], -r["run"]["h"]))
            for r in members:
                run = r["run"]
                row = {"scheme": run["scheme_label"], "eps": run["eps"], "tau": run["tau"], "h": run["h"],
                       "h_over_eps": _num((r.get("ratios") or {}).get("h_over_eps")),
                       "h_over_tau_V": _num((r.get("ratios") or {}).get("h_over_tau_V")),
                       "status": r["status"], "ls": False}
                for m in present:
                    row[m] = _num((r.get("metrics") or {}).get(m))
                    row[m + "_order"] = float("nan")
                rows.append(row)
                if r["status"] != "ok":
                    failed.append((run["id"], r.get("reason") or "unknown"))
            grp_rows = rows[-len(members):]
            x = np.array([g[param] for g in grp_rows])
            if len(members) > 1 and np.all(np.diff(x) < 0):
                ls_row = {"scheme": f"{members[0]['run']['scheme_label']}: least-squares order",
                          "ls": True, "status": "ok"}
                for m in present:
                    if m not in _ORDERED:
                        continue
                    e = np.array([g[m] for g in grp_rows])
                    for g, p in zip(grp_rows[1:], pairwise_orders(x, e)):
                        g[m + "_order"] = p
                    ls_row[m + "_order"] = least_squares_order(x, e)
                rows.append(ls_row)
        ref = sorted({r.get("reference") for r in recs if r.get("reference")})
        if not ref:
            ref = [doc["suite"].get("references", {}).get(first["case"], "none")]
        horizon = "one step of size τ" if first["kind"] == "one_step" else f"T = {first['T']:g}"
        title = (f"{study}: case {first['case']}, {first['kind']}, path {first['path']}"
                 f" (orders along {'τ' if param == 'tau' else 'ε'}), {horizon}")
        tables.append({"study": study, "title": title, "reference": "; ".join(ref), "param": param,
                       "metrics": present, "rows": rows, "failed": failed, "case": first["case"],
                       "path": first["path"]})
    return tables


def _columns(metrics):
    cols = [("scheme", "scheme", "text"), ("eps", "ε", "par"), ("tau", "τ", "par"), ("h", "h", "par"),
            ("h_over_eps", "h/ε", "ratio"), ("h_over_tau_V", "h/(τ|V|)", "ratio")]
    for m in metrics:
        cols.append((m, METRICS[m], "count" if m in ("violations", "pairs") else "err"))
        if m in _ORDERED:
            cols.append((m + "_order", "order", "order"))
    return cols


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
    if row["status"] != "ok" and kind in ("err", "count"):
        return "failed"
    return _fmt(row.get(key), kind, missing)


def _md(tables):
    out = []
    for t in tables:
        cols = _columns(t["metrics"])
        out.append(f"### {t['title']}\n\nReference: {t['reference']}\n")
        out.append("| " + " | ".join(c[1].replace("|", "\\|") for c in cols) + " |")
        out.append("|" + "|".join("---" if c[2] == "text" else "---:" for c in cols) + "|")
        for row in t["rows"]:
            cells = [_cell(row, k, kind, "—") for k, _, kind in cols]
            if row["ls"]:
                cells[0] = f"*{cells[0]}*"
            out.append("| " + " | ".join(cells) + " |")
        for rid, reason in t["failed"]:
            out.append(f"\nFailed: `{rid}`: {reason}")
        out.append("")
    return "\n".join(out)


def _tex_escape(s):
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("ρ", r"$\rho$"), ("ε", r"$\varepsilon$"), ("τ", r"$\tau$"), ("²", r"$^2$"), ("|V|", r"$|V|$")):
        s = s.replace(a, b)
    return s


def _tex(tables):
    heads = {"ε": r"$\varepsilon$", "τ": r"$\tau$", "h": "$h$", "h/ε": r"$h/\varepsilon$",
             "h/(τ|V|)": r"$h/(\tau|V|)$"}
    out = ["% advmcf error tables; needs \\usepackage{booktabs}"]
    for t in tables:
        cols = _columns(t["metrics"])
        out.append(f"% {_tex_escape(t['title'])}; reference: {_tex_escape(t['reference'])}")
        out.append(r"\begin{tabular}{l" + "r" * (len(cols) - 1) + "}")
        out.append(r"\toprule")
        out.append(" & ".join(heads.get(c[1], _tex_escape(c[1])) for c in cols) + r" \\")
        out.append(r"\midrule")
        for row in t["rows"]:
            cells = [_tex_escape(_cell(row, k, kind, "--")) for k, _, kind in cols]
            if row["ls"]:
                out.append(r"\addlinespace[1pt]")
                cells[0] = r"\emph{" + cells[0] + "}"
            out.append(" & ".join(cells) + r" \\")
        out.append(r"\bottomrule")
        out.append(r"\end{tabular}")
        for rid, reason in t["failed"]:
            out.append(f"% failed: {_tex_escape(rid)}: {_tex_escape(reason)}")
        out.append("")
    return "\n".join(out)


def _csv(tables):
    metrics = [m for m in METRICS if any(m in t["metrics"] for t in tables)]
    cols = _columns(metrics)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["study", "case", "path"] + [k for k, _, _ in cols] + ["status"])
    for t in tables:
        for row in t["rows"]:
            cells = []
            for k, _, kind in cols:
                v = row.get(k)
                if kind == "text":
                    cells.append(v)
                elif v is None or (isinstance(v, float) and math.isnan(v)):
                    cells.append("")
                else:  # 8 significant digits: round-off between rank counts stays invisible
                    cells.append(f"{float(v):.8g}")
            w.writerow([t["study"], t["case"], t["path"]] + cells
                       + ["least_squares" if row["ls"] else row["status"]])
    return buf.getvalue()


def render(doc: dict, fmt: str) -> str:
    """The tables of ``doc`` (a results document) in ``fmt``: ``md``, ``tex`` or ``csv``."""
    tables = study_tables(doc)
    if fmt == "md":
        return _md(tables)
    if fmt == "tex":
        return _tex(tables)
    if fmt == "csv":
        return _csv(tables)
    raise ValueError(f"format = {fmt!r}: must be md, tex or csv")
