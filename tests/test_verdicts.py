"""One rule for every scorecard verdict (proctor.stats.verdict, applied by ScoreRow itself): "measured" only when the
95% CI excludes the row's null."""

from __future__ import annotations

import math

import pytest

from proctor.runs.technique import ScoreRow
from proctor.stats import verdict


@pytest.mark.parametrize("value,ci,null,expected", [
    (0.17, (-0.22, 0.48), 0.0, "no result: 95% CI includes 0"),     # the quick suite's W2S row, once "measured"
    (0.39, (0.29, 0.49), 0.0, "measured"),
    (-3.3, (-6.2, -0.4), 0.0, "measured"),                           # below the null is a result too
    (0.05, (0.0, 0.183), 0.12, "no result: 95% CI includes 0.12"),
    (0.6, (0.52, 0.68), 0.5, "measured"),
    (0.6, None, 0.0, "no result: no confidence interval"),
    (math.nan, (0.1, 0.2), 0.0, "no result: undefined"),
    (0.5, None, None, "calculated (no sampling error)"),
])
def test_the_rule(value, ci, null, expected):
    assert verdict(value, ci, null) == expected


def test_a_blocking_reason_wins_and_labels_name_the_null():
    assert verdict(0.4, (0.3, 0.5), 0.0, blocked="gap inside noise") == "no result: gap inside noise"
    assert verdict(0.5, (0.4, 0.6), 0.5, null_label="chance") == "no result: 95% CI includes chance"


def test_a_score_row_cannot_be_given_a_verdict_by_hand():
    row = ScoreRow("t", "s", "m", 0.17, (-0.22, 0.48))
    assert row.verdict == "no result: 95% CI includes 0"
    with pytest.raises(TypeError):
        ScoreRow("t", "s", "m", 0.1, verdict="measured")  # type: ignore[call-arg]
