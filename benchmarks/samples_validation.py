"""The validation tables of advmcf.samples (docs/samples.md, README), as real measured outputs.

    python benchmarks/samples_validation.py gaussian [--dims 2 10 50] [--sizes 1000 10000 100000]
    python benchmarks/samples_validation.py real
    python benchmarks/samples_validation.py bridge [--h 0.2 0.1 0.05] [--sizes 1000 10000 100000]
    python benchmarks/samples_validation.py scheme [--sizes 1000 10000 100000] [--eps 0.3]

Each study writes benchmarks/results/samples/<study>.csv and .md (and figures) and prints the Markdown
table.  Timings are wall-clock seconds on the machine that ran it (shared by several engineers when these
were measured: see the load column where given).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np

import advmcf.meshes  # noqa: F401  (prepares the DOLFINx stack)
from advmcf.samples import gaussian_classes, gaussian_risk, optimal_risk
from advmcf.samples.datasets import breast_cancer, digits
from advmcf.samples.figures import plot_risk

OUT = Path(__file__).resolve().parent / "results" / "samples"


def _load() -> float:
    return os.getloadavg()[0]


def _write(name, header, rows, note=""):
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / f"{name}.csv", "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(v) for v in r) + "\n")
    md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(str(v) for v in r) + " |" for r in rows]
    text = "\n".join(md) + ("\n\n" + note if note else "") + "\n"
    (OUT / f"{name}.md").write_text(text)
    print(text)


def gaussian(args):
    """R*_n(eps) of two Gaussian classes N(-mu, I), N(mu, I), |mu| = 1, n/2 points each, against Phi(eps - 1).

    Per (d, n): the mean over the seeds of R*_n and of the largest error over the budgets; the share of
    points with a conflict at the largest budget (it tends to 1 as n grows: the class densities overlap
    everywhere); rows where it is below 0.9 are flagged (eps small against the sample spacing) and left
    out of the rate.
    """
    eps = np.array(args.eps)
    exact = gaussian_risk(eps, 1.0)
    header = (["d", "n"] + [f"R*_n({e:g})" for e in eps]
              + ["max error", "conflict share", "seconds per run", "load", "flag"])
    rows, rates = [], []
    for d in args.dims:
        mean = np.zeros(d)
        mean[0] = 1.0
        fit = []
        for n in args.sizes:
            risks, errs, shares, secs = [], [], [], []
            for seed in args.seeds:
                pts = gaussian_classes(n // 2, mean, seed=seed)
                t = time.perf_counter()
                c = optimal_risk(pts, eps)
                secs.append(time.perf_counter() - t)
                risks.append(c.risk)
                errs.append(np.abs(c.risk - exact).max())
                shares.append(c.conflicts[-1] / pts.n)
            err, share = float(np.mean(errs)), float(np.mean(shares))
            flag = "eps small for n" if share < 0.9 else ""
            if not flag:
                fit.append((n, err))
            rows.append([d, n] + [f"{r:.4f}" for r in np.mean(risks, axis=0)]
                        + [f"{err:.4f}", f"{share:.3f}", f"{np.mean(secs):.1f}", f"{_load():.1f}", flag])
            print(rows[-1], flush=True)
        if len(fit) >= 2:
            n_, e_ = map(np.array, zip(*fit))
            rates.append(f"d = {d}: max error ~ n^{np.polyfit(np.log(n_), np.log(e_), 1)[0]:.2f} "
                         f"(n = {n_[0]} to {n_[-1]})")
        else:
            rates.append(f"d = {d}: no rate (fewer than two unflagged sizes)")
    note = ("Closed form R*(eps) = Phi(eps - 1) = " + ", ".join(f"{v:.4f}" for v in exact) + " at eps = "
            + ", ".join(f"{e:g}" for e in eps) + f"; means over seeds {args.seeds}. Observed rates (least squares "
            "over the unflagged sizes): " + "; ".join(rates) + ". Flagged: fewer than 90 % of the points have a "
            "point of the other class within 2 eps (largest eps).")
    _write("gaussian", header, rows, note)


def _first_conflict(pts, norm):
    """Half the smallest distance between points of different classes: R* = 0 below it."""
    from scipy.spatial import cKDTree

    p = {"l2": 2, "linf": np.inf}[norm]
    d, _ = cKDTree(pts.x[pts.label == 1]).query(pts.x[pts.label == 0], p=p)
    return d.min() / 2


def real(args):
    """R*(eps) of digits 3 vs 8, 1 vs 7 (pixels/16) and breast cancer (standardised), l2 and linf."""
    sets = {"digits 3 vs 8": digits(3, 8), "digits 1 vs 7": digits(1, 7), "breast cancer": breast_cancer()}
    # the figures on 41 budgets, the tables on every 4th
    grids = {("digits", "l2"): np.linspace(0, 2.5, 41), ("digits", "linf"): np.linspace(0, 0.5, 41),
             ("breast", "l2"): np.linspace(0, 5, 41), ("breast", "linf"): np.linspace(0, 2, 41)}
    for group, names in (("digits", ["digits 3 vs 8", "digits 1 vs 7"]), ("breast", ["breast cancer"])):
        header, columns, firsts = [], [], []
        for norm in ("l2", "linf"):
            eps = np.round(grids[(group, norm)], 6)
            header.append(f"eps ({norm})")
            columns.append([f"{e:g}" for e in eps[::4]])
            curves = {}
            for name in names:
                pts = sets[name]
                t = time.perf_counter()
                c = optimal_risk(pts, eps, norm=norm)
                sec = time.perf_counter() - t
                curves[f"{name}, {norm} (n={pts.n}, d={pts.dim})"] = c
                header.append(f"{name.replace('digits ', '')} {norm}")
                columns.append([f"{r:.3f}" for r in c.risk[::4]])
                firsts.append(f"{name} {norm}: R* > 0 from eps = {_first_conflict(pts, norm):.4g} "
                              f"({sec:.2f} s for the sweep)")
            plot_risk(curves, OUT / f"{group}_{norm}.png",
                      title=f"{'digits (pixels/16)' if group == 'digits' else 'breast cancer (standardised)'}, "
                            f"{norm} budget")
        rows = list(zip(*columns))
        _write(group, header, rows, "; ".join(firsts) + ".")


def _gauss2(centre, sigma, mass):
    """The density mass * N(centre, sigma^2 I) in 2D as a callable of x (3, num)."""
    c = np.asarray(centre, float)

    def rho(x):
        r2 = (x[0] - c[0]) ** 2 + (x[1] - c[1]) ** 2
        return mass * np.exp(-0.5 * r2 / sigma**2) / (2 * np.pi * sigma**2)

    return rho


def bridge(args):
    """The identity adversarial risk = risk + eps Per_eps, both ways, for N(-mu, I), N(mu, I), |mu| = 1, in 2D.

    Mesh side: the vertex set minimising R(u) + eps Per_eps(u) with the true densities (halves of the two
    Gaussians), R(u) = sum m_i (rho0_i u_i + rho1_i (1 - u_i)), eps Per_eps the vertex functional with the
    fitted balls: one exact cut on [-L, L]^2 (the unary part R as |u - chi| with chi = {rho1 > rho0}),
    as h -> 0.  Sample side: R*_n(eps) of n points, split into the plain risk of the robust labels and the
    rest (eps Per_eps of the optimal classifier on the samples), as n -> infinity.  Both against Phi(eps - 1).
    """
    from mpi4py import MPI

    from advmcf.meshes import box, p1_space
    from advmcf.nonlocal_ import Vertices
    from advmcf.nonlocal_.mincut import CutProblem, set_energy
    from advmcf.nonlocal_.perimeter import resolve_mixture

    mu, L = np.array([1.0, 0.0]), args.L
    rho0, rho1 = _gauss2(-mu, 1.0, 0.5), _gauss2(mu, 1.0, 0.5)
    eps = np.array(args.eps)
    exact = gaussian_risk(eps, 1.0)
    header = ["side", "h or n", "eps", "risk", "eps Per_eps", "adversarial risk", "Phi(eps - 1)", "error",
              "seconds", "load"]
    rows = []
    for h in args.h:
        V = p1_space(box(MPI.COMM_SELF, [-L, -L], [L, L], h))
        verts = Vertices(V)
        x3 = verts.points3()
        m0, m1 = verts.m * rho0(x3), verts.m * rho1(x3)
        for (e, ex), balls in itertools.product(zip(eps, exact), args.balls):
            t = time.perf_counter()
            mixture = resolve_mixture(verts, e, balls)
            every = np.ones(m0.size, bool)
            chi = m1 > m0
            cut = CutProblem(verts.x, mixture, every, chi, np.abs(m0 - m1), m0, m1, every)
            u, res = cut.solve("minimal")
            assert res["certified"]
            risk = float(np.sum(np.where(u, m0, m1)))
            per = set_energy(u, chi, np.zeros(u.size), m0, m1, every, verts.x, mixture)
            sec = time.perf_counter() - t
            rows.append([f"mesh, {balls} balls", f"h = {h:g}", f"{e:g}", f"{risk:.5f}", f"{per:.5f}", f"{risk + per:.5f}",
                         f"{ex:.5f}", f"{abs(risk + per - ex):.5f}", f"{sec:.1f}", f"{_load():.1f}"])
            print(rows[-1], flush=True)
    for n in args.sizes:
        pts = gaussian_classes(n // 2, mu, seed=args.seed)
        t = time.perf_counter()
        c = optimal_risk(pts, eps)
        sec = time.perf_counter() - t
        for k, (e, ex) in enumerate(zip(c.eps, exact)):
            plain = float(np.mean(c.prediction[k] != pts.label))
            rows.append(["samples", f"n = {n}", f"{e:g}", f"{plain:.5f}", f"{c.risk[k] - plain:.5f}",
                         f"{c.risk[k]:.5f}", f"{ex:.5f}", f"{abs(c.risk[k] - ex):.5f}",
                         f"{sec:.1f} (all eps)", f"{_load():.1f}"])
            print(rows[-1], flush=True)
    note = (f"Mesh: crossed box [-{L:g}, {L:g}]^2 (the two half-Gaussians hold mass 1 up to "
            f"{1 - _box_mass(L):.1e} outside it), the minimal minimizer of one certified cut; plain balls: the vertex ball of "
            "radius eps (the optimal interface x1 = 0 is a mesh line: exact support there), isotropic: the fitted "
            "mixture (support eps in every direction, radii 0.8 to 1.3 eps). "
            f"Samples: n/2 points per class, seed {args.seed}, unit weights, the minimal optimal classifier; "
            "risk = its plain 0-1 risk on the samples, eps Per_eps = R*_n - risk.")
    _write("bridge", header, rows, note)


def _box_mass(L):
    """The mass of (N(-mu, I) + N(mu, I))/2, |mu| = 1, inside [-L, L]^2."""
    from scipy.special import ndtr

    return 0.5 * (ndtr(L - 1) - ndtr(-L - 1) + ndtr(L + 1) - ndtr(-L + 1)) * (ndtr(L) - ndtr(-L))


def scheme(args):
    """The scheme on n samples against the scheme with the true densities, n -> infinity at fixed eps, tau, h.

    Two concentric Gaussian classes in 2D with mass 1/2 each, rho0 = N(0, 1.5^2 I)/2 (outside),
    rho1 = N(0, 0.75^2 I)/2 (inside); A_0 is the Bayes disc {rho1 > rho0}; both schemes run the same steps
    (tau, T) with the same plain balls of radius eps on the same crossed mesh; samples drawn from rho0, rho1
    on the mesh's box (weights = box mass / n).  Distances between the final sets: Hausdorff of the
    boundaries and the rho-weighted symmetric difference; orders by least squares in log n.
    """
    from mpi4py import MPI

    from advmcf.meshes import box, p1_space
    from advmcf.meshes.distance import hausdorff
    from advmcf.meshes.measures import symmetric_difference, volume
    from advmcf.meshes.sets import level_set
    from advmcf.meshes.shapes import disc
    from advmcf.nonlocal_ import Vertices, adversarial_flow
    from advmcf.samples import draw
    from advmcf.samples.scheme import sample_flow

    s0, s1, L = 1.5, 0.75, args.L
    rho0, rho1 = _gauss2([0, 0], s0, 0.5), _gauss2([0, 0], s1, 0.5)
    rho = lambda x: rho0(x) + rho1(x)  # noqa: E731
    bayes = np.sqrt(2 * np.log(s0**2 / s1**2) / (1 / s1**2 - 1 / s0**2))
    V = p1_space(box(MPI.COMM_SELF, [-L, -L], [L, L], args.h))
    verts = Vertices(V)
    header = ["eps", "n", "eps / (log n / n)^(1/2)", "samples per eps-ball at the Bayes circle", "Hausdorff",
              "order", "rho-symdiff", "order", "sqrt(area / pi)", "seconds", "load", "flag"]
    rows = []
    for eps in args.eps:
        tau = args.tau
        phi0 = level_set(V, disc([0, 0], bayes))
        t = time.perf_counter()
        dens = adversarial_flow(phi0, rho0, rho1, eps, args.T, tau=tau, discretization="plain")
        print(f"density scheme eps = {eps:g}: {time.perf_counter() - t:.1f} s", flush=True)
        ref = dens.sets[-1]
        finals = {"density scheme": verts.gather(ref)}
        h_prev = s_prev = n_prev = None
        orders_h, orders_s, dist = [], [], []
        for n in args.sizes:
            pts = draw(rho0, rho1, n, [-L, -L], [L, L], seed=args.seed)
            t = time.perf_counter()
            ev = sample_flow(phi0, pts, eps, args.T, tau=tau, discretization="plain")
            finals[f"samples, n = {n}"] = verts.gather(ev.sets[-1])
            sec = time.perf_counter() - t
            hd, sd = hausdorff(ev.sets[-1], ref), symmetric_difference(ev.sets[-1], ref, rho)
            ratio = eps / np.sqrt(np.log(n) / n)
            per_ball = n * float(rho(np.array([[bayes], [0.0], [0.0]]))[0]) * np.pi * eps**2
            oh = "—" if h_prev is None else f"{np.log(h_prev / hd) / np.log(n / n_prev):.2f}"
            os_ = "—" if s_prev is None else f"{np.log(s_prev / sd) / np.log(n / n_prev):.2f}"
            flag = "eps small for n" if per_ball < args.min_per_ball else ""
            rows.append([f"{eps:g}", n, f"{ratio:.2f}", f"{per_ball:.0f}", f"{hd:.4f}", oh, f"{sd:.4f}", os_,
                         f"{np.sqrt(volume(ev.sets[-1]) / np.pi):.4f}", f"{sec:.1f}", f"{_load():.1f}", flag])
            print(rows[-1], flush=True)
            h_prev, s_prev, n_prev = hd, sd, n
            if not flag:
                dist.append((n, hd, sd))
        if len(dist) >= 2:
            n_, hd_, sd_ = map(np.array, zip(*dist))
            rows.append([f"{eps:g}", "least squares (unflagged)", "", "", "", f"{np.polyfit(np.log(n_), -np.log(hd_), 1)[0]:.2f}",
                         "", f"{np.polyfit(np.log(n_), -np.log(sd_), 1)[0]:.2f}", "", "", "", ""])
        _plot_finals(verts.x, finals, bayes, OUT / f"scheme_eps{eps:g}.png",
                     f"final sets at T = {args.T:g}: eps = {eps:g}, tau = {tau:g}, h = {args.h:g}")
        rows.append([f"{eps:g}", "density scheme", "", "", "", "", "", "",
                     f"{np.sqrt(volume(ref) / np.pi):.4f}",
                     "", "", ""])
    note = (f"Bayes radius {bayes:.4f}; crossed mesh of [-{L:g}, {L:g}]^2, h = {args.h:g}; tau = {args.tau:g}, "
            f"T = {args.T:g}, p = 1, minimal minimizers, plain balls for both schemes; samples drawn with seed "
            f"{args.seed}. Orders are -d log(distance) / d log n. Flagged: fewer than {args.min_per_ball:g} samples "
            "expected in an eps-ball at the Bayes circle (eps too small for the sample spacing). At fixed h the "
            "samples' balls (centred at the samples) and the density scheme's (centred at vertices) differ by "
            "O(h), and the sample scheme's level set is vertex-midway: the distances saturate at that level.")
    _write("scheme", header, rows, note)


def _plot_finals(x, finals, bayes, path, title):
    """The boundaries {phi = 0} of the final sets (dict label -> vertex values), the Bayes circle dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    tri = Triangulation(x[:, 0], x[:, 1])
    fig, ax = plt.subplots(figsize=(5.5, 5.0))
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(1, len(finals) - 1)))
    for k, (label, v) in enumerate(finals.items()):
        colour = "black" if k == 0 else colours[k - 1]
        ax.tricontour(tri, v, levels=[0.0], colors=[colour], linewidths=2.0 if k == 0 else 0.9)
        ax.plot([], [], color=colour, label=label)
    t = np.linspace(0, 2 * np.pi, 361)
    ax.plot(bayes * np.cos(t), bayes * np.sin(t), "k--", lw=0.8, label="Bayes circle (A_0)")
    ax.set_aspect("equal")
    ax.set_xlim(-2.6, 2.6)
    ax.set_ylim(-2.6, 2.6)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="study", required=True)
    g = sub.add_parser("gaussian")
    g.add_argument("--dims", type=int, nargs="+", default=[2, 10, 50])
    g.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000, 30000, 100000])
    g.add_argument("--eps", type=float, nargs="+", default=[0.25, 0.5, 0.75])
    g.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    sub.add_parser("real")
    b = sub.add_parser("bridge")
    b.add_argument("--h", type=float, nargs="+", default=[0.2, 0.1, 0.05])
    b.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    b.add_argument("--eps", type=float, nargs="+", default=[0.25, 0.5])
    b.add_argument("--L", type=float, default=6.0)
    b.add_argument("--balls", nargs="+", default=["plain", "isotropic"])
    b.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("scheme")
    s.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000, 64000, 256000])
    s.add_argument("--eps", type=float, nargs="+", default=[0.15, 0.3])
    s.add_argument("--tau", type=float, default=0.1)
    s.add_argument("--T", type=float, default=0.3)
    s.add_argument("--h", type=float, default=0.05)
    s.add_argument("--L", type=float, default=3.5)
    s.add_argument("--min-per-ball", type=float, default=10.0)
    s.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    {"gaussian": gaussian, "real": real, "bridge": bridge, "scheme": scheme}[args.study](args)


if __name__ == "__main__":
    main()
