"""Tables and figures from a synthetic results document with known orders (serial, no mesh)."""

import csv
import io
import json

import numpy as np
import pytest

from validation.plots import plot_all
from validation.results import atomic_write_json, load_results
from validation.tables import render, study_tables


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


def test_csv_has_order_columns():
    rows = list(csv.DictReader(io.StringIO(render(_doc(), "csv"))))
    assert {"radius_error", "radius_error_order", "eps", "tau", "h_over_eps", "h_over_tau_V"} <= set(rows[0])
    a = [r for r in rows if r["study"] == "diag" and r["scheme"] == "A"]
    assert float(a[1]["radius_error_order"]) == pytest.approx(1.0)
    grid = [r for r in rows if r["study"] == "grid" and r["status"] == "ok"]
    assert len(grid) == 6


def test_bad_format():
    with pytest.raises(ValueError, match="format = 'pdf': must be md, tex or csv"):
        render(_doc(), "pdf")


def test_plots_and_cli_table(tmp_path, capsys):
    from validation.cli import main

    atomic_write_json(tmp_path / "results.json", _doc())
    paths = plot_all(tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["convergence_diag.png", "convergence_grid.png", "heatmap_grid_A.png"], names
    assert all(p.stat().st_size > 1000 for p in paths)
    assert main(["table", str(tmp_path), "--format", "csv"]) == 0
    assert capsys.readouterr().out == render(load_results(tmp_path), "csv")
    assert main(["table", str(tmp_path / "nowhere")]) == 2
    assert "not an advmcf results file" in capsys.readouterr().err


def test_nan_is_written_as_null(tmp_path):
    atomic_write_json(tmp_path / "r.json", {"x": float("nan"), "y": [1.0, float("inf")]})
    assert json.loads((tmp_path / "r.json").read_text()) == {"x": None, "y": [1.0, None]}
    assert not list(tmp_path.glob(".*tmp"))
