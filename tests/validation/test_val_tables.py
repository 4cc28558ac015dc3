"""Tables and figures from a synthetic results document with known orders (serial, no mesh)."""

import csv
import io
import json

import numpy as np
import pytest

from advmcf.validation.plots import plot_all
from advmcf.validation.results import atomic_write_json, load_results
from advmcf.validation.tables import column_keys, orders_csv, render, study_tables


def _run(study, path, label, eps, tau, metrics, status="ok", group=None, param="eps"):
    return {"run": {"id": f"{study}/{label}/eps={eps:g}/tau={tau:g}", "study": study, "kind": "flow",
                    "path": path, "case": "c", "scheme": label, "scheme_label": label, "options": {},
                    "eps": eps, "tau": tau, "h": eps / 8, "T": 0.1, "param": param,
                    "group": group or [label], "extra": {}},
            "status": status, "reason": None if status == "ok" else "KSPDiverged: DIVERGED_ITS",
            "reference": "radial ODE", "metrics": metrics if status == "ok" else {},
            "ratios": {"h_over_eps": 0.125, "h_over_tau_V": 0.5}}


def _doc():
    eps = [0.08, 0.04, 0.02, 0.01]
    runs = [_run("diag", "diagonal", "A", e, e, {"radius_error": 3 * e, "symdiff_rho": e**2}) for e in eps]
    runs += [_run("diag", "diagonal", "B", e, e, {"radius_error": 0.5 * e**2, "symdiff_rho": e**1.5}) for e in eps[:3]]
    runs.append(_run("diag", "diagonal", "B", 0.01, 0.01, {}, status="failed"))
    for t in (0.02, 0.01):
        runs += [_run("grid", "grid", "A", e, t, {"radius_error": e**2 + t}, group=["A", f"tau={t}"]) for e in eps[:3]]
    return {"schema": "advmcf.results/1",
            "suite": {"name": "syn", "description": "", "source": "", "studies": ["diag", "grid"],
                      "cases": {}, "references": {"c": "radial_ode"}},
            "environment": {}, "runs": runs}


def test_orders_in_tables():
    tables = study_tables(_doc())
    diag = tables[0]
    a = [r for r in diag["rows"] if r["scheme"] == "A"]
    assert np.allclose([r["radius_error_order"] for r in a[1:]], 1.0)
    assert np.allclose([r["symdiff_rho_order"] for r in a[1:]], 2.0)
    ls = [r for r in diag["rows"] if r["ls"]]
    assert ls[0]["radius_error_order"] == pytest.approx(1.0) and ls[1]["radius_error_order"] == pytest.approx(2.0)
    b = [r for r in diag["rows"] if r["scheme"] == "B"]
    assert b[-1]["status"] == "failed" and np.isnan(b[-1]["radius_error_order"])
    md = render(_doc(), "md")
    assert "| A: least-squares order |" in md.replace("*", "") and "| 1.00 |" in md
    assert "Failed: `diag/B/eps=0.01/tau=0.01`: KSPDiverged: DIVERGED_ITS" in md
    assert r"h/(τ\|V\|)" in md and "Reference: radial ODE" in md


def test_tex_is_booktabs_and_escaped():
    tex = render(_doc(), "tex")
    assert tex.count(r"\toprule") == 2 and tex.count(r"\bottomrule") == 2
    assert r"$h/\varepsilon$" in tex and "_" not in tex.replace(r"\_", "").split("tabular")[1]


def test_csv_is_tidy_and_orders_have_their_own_file():
    rows = list(csv.DictReader(io.StringIO(render(_doc(), "csv"))))
    assert len(rows) == len(_doc()["runs"])  # one row per run, no least-squares rows
    assert {"radius_error", "eps", "tau", "h_over_eps", "h_over_tau_V", "status", "flags"} <= set(rows[0])
    assert not any(k.endswith("_order") for k in rows[0])
    grid = [r for r in rows if r["study"] == "grid" and r["status"] == "ok"]
    assert len(grid) == 6
    orders = list(csv.DictReader(io.StringIO(orders_csv(_doc()))))
    a = [o for o in orders if o["study"] == "diag" and o["scheme"] == "A" and o["metric"] == "radius_error"]
    assert [o["kind"] for o in a] == ["pairwise"] * 3 + ["least_squares"]
    assert all(float(o["order"]) == pytest.approx(1.0) for o in a)
    assert (a[0]["coarse"], a[0]["fine"], a[-1]["coarse"], a[-1]["fine"]) == ("0.08", "0.04", "0.08", "0.01")
    g = {o["group"] for o in orders if o["study"] == "grid"}
    assert g == {"tau=0.02", "tau=0.01"}


def _flagged_doc():
    doc = _doc()
    run = next(r for r in doc["runs"] if r["run"]["scheme"] == "A" and r["run"]["eps"] == 0.08)
    run["status"] = "flagged"
    run["metrics"]["radius_error"] = 50.0  # a degenerate value that would spoil the orders
    run["flags"] = [{"code": "pinned", "message": "h/(τ|V|) = 2 ≥ 1: a step moves the boundary by less than a cell"}]
    return doc


def test_flagged_rows_get_a_marker_and_a_footnote_and_no_order():
    doc = _flagged_doc()
    diag = study_tables(doc)[0]
    a = [r for r in diag["rows"] if r["scheme"] == "A"]
    assert a[0]["marker"] == "a" and np.isnan(a[1]["radius_error_order"])  # no order through the flagged row
    assert np.allclose([r["radius_error_order"] for r in a[2:]], 1.0)
    ls = next(r for r in diag["rows"] if r["ls"])
    assert ls["radius_error_order"] == pytest.approx(1.0)  # fitted over the unflagged rows only
    md = render(doc, "md")
    assert "| A (a) |" in md and "(a) `diag/A/eps=0.08/tau=0.08`: pinned: h/(τ|V|) = 2" in md
    tex = render(doc, "tex")
    assert r"A\textsuperscript{a}" in tex and r"\textsuperscript{a}~pinned: $h$" not in tex
    assert r"\textsuperscript{a}~pinned: h/($\tau$$|V|$) = 2 $\geq$ 1" in tex
    rows = list(csv.DictReader(io.StringIO(render(doc, "csv"))))
    assert [r["flags"] for r in rows if r["status"] == "flagged"] == ["pinned"]


def test_tex_numbers_are_siunitx_and_minus_signs_are_real():
    doc = _doc()
    for r in doc["runs"]:
        if r["run"]["scheme"] == "B" and r["status"] == "ok":
            r["metrics"]["symdiff_rho"] = 1.0 / r["run"]["eps"]  # order -1
    tex = render(doc, "tex", studies=["diag"])
    assert tex.count(r"\begin{tabular}") == 1
    assert "S[table-format=1.3e-1]" in tex  # errors such as 2.400e-01
    assert "S[table-format=-1.2]" in tex  # orders, one of them negative
    assert " & -1.00 " in tex or " & -1.00 \\\\" in tex  # siunitx prints the minus sign
    assert "{failed}" in tex and "{--}" in tex
    md = render(doc, "md")
    assert "| \u22121.00 |" in md and "| -1.00 |" not in md


def test_columns_choose_and_order():
    md = render(_doc(), "md", columns=["scheme", "eps", "radius_error", "radius_error_order"])
    head = md.splitlines()[4]
    assert head == "| scheme | ε | radius err | order |", head
    with pytest.raises(ValueError, match="columns: unknown column 'radius'"):
        render(_doc(), "md", columns=["radius"])
    assert "scheme" in column_keys(_doc()) and "symdiff_rho_order" in column_keys(_doc())


def test_bad_format():
    with pytest.raises(ValueError, match="format = 'pdf': must be md, tex or csv"):
        render(_doc(), "pdf")


def test_plots_and_cli_table(tmp_path, capsys):
    from advmcf.validation.cli import main

    atomic_write_json(tmp_path / "results.json", _doc())
    paths = plot_all(tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["convergence_diag.pdf", "convergence_diag.png", "convergence_grid.pdf", "convergence_grid.png",
                     "heatmap_grid_A.pdf", "heatmap_grid_A.png", "work_precision_diag.pdf", "work_precision_diag.png"], names
    assert all(p.stat().st_size > 1000 for p in paths)
    assert main(["table", str(tmp_path), "--format", "csv"]) == 0
    assert capsys.readouterr().out == render(load_results(tmp_path), "csv")
    assert main(["table", str(tmp_path), "-o", str(tmp_path / "t.tex"), "--study", "diag"]) == 0
    assert (tmp_path / "t.tex").read_text() == render(load_results(tmp_path), "tex", studies=["diag"])
    assert main(["table", str(tmp_path), "--columns", "scheme,eps,bogus"]) == 2
    assert "columns: unknown column 'bogus'" in capsys.readouterr().err
    assert main(["table", str(tmp_path / "nowhere")]) == 2
    assert "nowhere/results.json: missing" in capsys.readouterr().err


def test_nan_is_written_as_null(tmp_path):
    atomic_write_json(tmp_path / "r.json", {"x": float("nan"), "y": [1.0, float("inf")]})
    assert json.loads((tmp_path / "r.json").read_text()) == {"x": None, "y": [1.0, None]}
    assert not list(tmp_path.glob(".*tmp"))


@pytest.mark.parametrize("rule, math", [("eps/3", r"\varepsilon/3"), ("0.5*tau", r"0.5\,\tau"),
                                        ("0.79*eps**1.5", r"0.79\,\varepsilon^{1.5}"),
                                        ("eps**(3/2)", r"\varepsilon^{3/2}")])
def test_h_rule_as_math_text_braces_exponents(rule, math):
    from advmcf.validation.plots import _math

    assert _math(rule) == math
