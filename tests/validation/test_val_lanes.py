"""The plan of a suite's runs on lanes of ranks (advmcf.validation.lanes); the lanes themselves are run
against one rank in test_val_real_schemes and test_val_pipeline."""

import pytest

from advmcf.validation.lanes import plan_lanes


def test_plan_deals_the_largest_runs_first_to_the_lane_that_finishes_first():
    plan = plan_lanes(2, [1.0, 2.0, 10.0, 3.0, 4.0], [False] * 5)
    assert plan.sizes == (1, 1) and plan.runs == ((2,), (0, 1, 3, 4)) and plan.finish == (10.0, 10.0)
    assert [plan.lane_of(r) for r in (0, 1)] == [0, 1]
    # more ranks than runs: lanes of several ranks; a run that spreads takes its work over the lane's size
    plan = plan_lanes(5, [8.0, 1.0], [True, False])
    assert plan.sizes == (3, 2) and plan.runs == ((0,), (1,)) and plan.finish == pytest.approx((8.0 / 3, 1.0))
    assert [plan.lane_of(r) for r in range(5)] == [0, 0, 0, 1, 1]
    # one rank: one lane, every run
    assert plan_lanes(1, [1.0, 2.0], [True, True]).runs == ((0, 1),)
    with pytest.raises(ValueError):
        plan_lanes(2, [], [])
