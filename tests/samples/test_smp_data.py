"""Labelled points: the CSV format and its one-line errors, arrays, repeated points."""

import numpy as np
import pytest

from advmcf.samples import duplicates, labelled_points, read_csv, write_csv


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_columns_in_any_order_with_weights(tmp_path):
    path = _write(tmp_path, "label, x2 ,weight,x1\n0,1.5,2,0.5\n\n1,-1e-3,0.25,3\n")
    pts = read_csv(path)
    np.testing.assert_array_equal(pts.x, [[0.5, 1.5], [3.0, -1e-3]])
    np.testing.assert_array_equal(pts.label, [0, 1])
    np.testing.assert_array_equal(pts.weight, [2.0, 0.25])
    assert pts.counts == (1, 1) and pts.dim == 2 and pts.source == str(path)


def test_write_then_read_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    pts = labelled_points(rng.normal(size=(50, 3)) / 7, rng.integers(0, 2, 50), rng.random(50) + 0.5)
    write_csv(tmp_path / "a.csv", pts)
    back = read_csv(tmp_path / "a.csv")
    for field in ("x", "label", "weight"):
        np.testing.assert_array_equal(getattr(back, field), getattr(pts, field))
    unit = labelled_points(pts.x, pts.label)
    write_csv(tmp_path / "b.csv", unit)
    assert (tmp_path / "b.csv").read_text().splitlines()[0] == "x1,x2,x3,label"


def test_repeated_points_are_allowed_and_counted(tmp_path):
    path = _write(tmp_path, "x1,x2,label\n0,0,0\n0,0,1\n0,0,1\n1,1,0\n1,1,0\n2,2,1\n")
    pts = read_csv(path)
    assert pts.n == 6
    assert duplicates(pts) == (3, 1)  # three repeats; one location (0, 0) carries both labels


@pytest.mark.parametrize("text,message", [
    ("", r"data.csv: the file is empty: name the columns x1, \.\.\., xd, label"),
    ("x1,x2,label\n", r"data.csv: no data lines after the header"),
    ("0.5,1.0,1\n0.1,0.2,0\n", r"data.csv line 1: no header \(the first line holds numbers\)"),
    ("x1,x2,y\n0,0,1\n", r"data.csv line 1: unknown column 'y': name the columns x1, \.\.\., xd, label"),
    ("x1,x2\n0,0\n", r"data.csv line 1: no column 'label'"),
    ("label,weight\n0,1\n", r"data.csv line 1: no coordinate column x1"),
    ("x1,x3,label\n0,0,1\n", r"data.csv line 1: column x2 is missing \(the header has x3\)"),
    ("x1,x1,label\n0,0,1\n", r"data.csv line 1: column 'x1' appears twice"),
    ("x1,x2,label\n0,0,1\n1,2\n", r"data.csv line 3: 2 values, the header names 3 columns"),
    ("x1,x2,label\n0,0,1\n1,abc,0\n", r"data.csv line 3, column x2: 'abc' is not a number"),
    ("x1,x2,label\n0,0,1\n\n1,nan,0\n", r"data.csv line 4, column x2: nan: values must be finite numbers"),
    ("x1,x2,label\n0,0,1\n1,inf,0\n", r"data.csv line 3, column x2: inf: values must be finite"),
    ("x1,x2,label\n0,0,1\n1,1,2\n", r"data.csv line 3, column label: 2: labels must be 0 or 1"),
    ("x1,x2,label\n0,0,1\n1,1,0.5\n", r"data.csv line 3, column label: 0.5: labels must be 0 or 1"),
    ("x1,label,weight\n0,1,1\n1,0,0\n", r"data.csv line 3, column weight: 0: weights must be positive"),
    ("x1,label,weight\n0,1,1\n1,0,-2\n", r"data.csv line 3, column weight: -2: weights must be positive"),
    ("x1,x2,label\n0,0,1\n1,1,1\n", r"data.csv: every point has label 1: the data need both classes, 0 and 1"),
])
def test_bad_csv_one_line_errors(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as err:
        read_csv(path)
    assert "\n" not in str(err.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(ValueError, match=r"missing.csv: cannot read the file \(No such file or directory\)"):
        read_csv(tmp_path / "missing.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ValueError, match=r"bin.csv: not a CSV text file"):
        read_csv(tmp_path / "bin.csv")


def test_bad_arrays():
    with pytest.raises(ValueError, match=r"points: point 1 has x2 = nan: every coordinate must be a finite number"):
        labelled_points([[0, 0], [1, np.nan]], [0, 1])
    with pytest.raises(ValueError, match=r"point 1 has label 3: labels must be 0 or 1"):
        labelled_points([0, 1], [0, 3])
    with pytest.raises(ValueError, match=r"label must have one entry per point \(2\)"):
        labelled_points([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match=r"point 0 has weight 0.0: weights must be positive"):
        labelled_points([0, 1], [0, 1], [0, 1])
    with pytest.raises(ValueError, match=r"every point has label 0"):
        labelled_points([0, 1], [0, 0])
    with pytest.raises(ValueError, match=r"x must be an \(n, d\) array"):
        labelled_points(np.zeros((0, 2)), [])
    assert labelled_points([0.0, 1.0], [True, False]).dim == 1


def test_gaussian_classes_and_their_closed_form():
    from advmcf.samples import gaussian_classes, gaussian_risk

    pts = gaussian_classes(500, [0.0, 2.0, 0.0], 0.5, seed=1)
    assert pts.counts == (500, 500) and pts.dim == 3
    np.testing.assert_allclose(pts.x[pts.label == 1].mean(axis=0), [0, 2, 0], atol=4 * 0.5 / np.sqrt(500))
    # Phi(-4), Phi(-2), Phi(0), then 1/2 beyond |mu|
    np.testing.assert_allclose(gaussian_risk([0.0, 1.0, 2.0, 3.0], 2.0, 0.5), [3.16712418e-5, 0.0227501319, 0.5, 0.5],
                               rtol=1e-8)


def test_draw_follows_the_class_densities():
    """Two centred Gaussian classes, sigma 1 and 0.5, priors 0.3/0.7: the class shares, the masses and the
    radial laws (Rayleigh: P(|x| <= r) = 1 - exp(-r^2 / (2 sigma^2)), Kolmogorov-Smirnov at the 0.1 %
    level) of 20000 points; on a box of half-width 6 sigma the truncation is below 1e-7."""
    from advmcf.samples import draw
    from advmcf.validation.class_densities import make_density

    dens = make_density(2, density={"kind": "two_gaussians", "means": [[0, 0], [0, 0]], "sigmas": [1.0, 0.5],
                                    "weights": [0.3, 0.7]})
    n = 20000
    pts = draw(dens.rho0, dens.rho1, n, [-6, -6], [6, 6], seed=3)
    assert pts.total_weight == pytest.approx(1.0, rel=1e-4)
    assert abs(pts.counts[1] / n - 0.7) <= 4 * np.sqrt(0.21 / n)
    for c, sigma in ((0, 1.0), (1, 0.5)):
        r = np.sort(np.linalg.norm(pts.x[pts.label == c], axis=1))
        cdf = 1 - np.exp(-r**2 / (2 * sigma**2))
        ks = np.max(np.maximum(np.arange(1, r.size + 1) / r.size - cdf, cdf - np.arange(r.size) / r.size))
        assert ks <= 1.95 / np.sqrt(r.size), (c, ks)
    again = draw(dens.rho0, dens.rho1, n, [-6, -6], [6, 6], seed=3)
    np.testing.assert_array_equal(again.x, pts.x)


def test_draw_refuses_a_peak_narrower_than_its_grid():
    from advmcf.samples import draw

    def spike(x):  # a stripe of width 2e-4 between the grid's lines (its points are at (i + 1/2)/512)
        return 1.0 + 1e3 * (np.abs(x[0] - 100 / 512) < 1e-4)

    with pytest.raises(ValueError, match=r"draw: rho0 \+ rho1 = .* exceeds the envelope"):
        draw(spike, spike, 1000, [0, 0], [1, 1], seed=0)
