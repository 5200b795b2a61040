"""The nested-oversight calculator (Engels et al. 2025) against hand-computed values, and the published per-game
fits against the numbers the paper's own code prints (elo/theory-predictions.ipynb at commit 86e693d)."""

import pytest
from conftest import assert_user_error, invoke, last_json

from proctor.errors import ConfigError
from proctor.rrm.nested import EloLine, best_steps, elo_win_probability, from_gaps, nested_success, paper_table


def test_elo_win_probability_by_hand():
    assert elo_win_probability(0, 0) == pytest.approx(0.5)
    assert elo_win_probability(0, 400) == pytest.approx(1 / 11)  # 10 ** (400 / 400) = 10
    assert elo_win_probability(400, 0) == pytest.approx(10 / 11)
    assert elo_win_probability(0, 40000) > 0 and elo_win_probability(0, 40000) < 1e-90  # no overflow


def test_equal_slopes_one_step_is_best():
    # Guard and Houdini on the same line (slope 1, no domain edge), a 400-Elo gap. n = 1: one game at a 400 gap,
    # 1/11. n = 2: two games at a 200 gap, (1 / (1 + 10 ** 0.5)) ** 2 = (1 / 4.16228) ** 2 = 0.057722.
    g, h, gap = from_gaps(1, 1, 400, 400)
    assert nested_success(g, h, gap, 1).success == pytest.approx(1 / 11)
    assert nested_success(g, h, gap, 2).success == pytest.approx((1 / (1 + 10 ** 0.5)) ** 2)
    assert nested_success(g, h, gap, 2).step_probabilities == pytest.approx((0.240253, 0.240253), abs=1e-6)
    r = best_steps(g, h, gap)
    assert r.steps == 1 and r.general_elos == (0.0, 400.0)


def test_guard_edge_makes_several_steps_best():
    # Houdini 200 domain Elo *behind* the Guard line (Delta_domain = 500 - 200 = 300), gap 500:
    #   n = 1: one game at +300           -> 1 / (1 + 10 ** 0.75)            = 0.150979
    #   n = 2: two games at 250 - 200 = +50 -> (1 / (1 + 10 ** 0.125)) ** 2   = 0.183644
    #   n = 3: three at 166.7 - 200 = -33.3 -> (1 / (1 + 10 ** -0.083333)) ** 3 = 0.164408
    g, h, gap = from_gaps(1, 1, 500, 300)
    assert h.intercept == pytest.approx(-200)
    p = [nested_success(g, h, gap, n).success for n in (1, 2, 3)]
    assert p == pytest.approx([1 / (1 + 10 ** 0.75), (1 / (1 + 10 ** 0.125)) ** 2,
                               (1 / (1 + 10 ** (-1 / 12))) ** 3])
    assert p == pytest.approx([0.150979, 0.183644, 0.164408], abs=1e-6)
    r = best_steps(g, h, gap)
    assert r.steps == 2 and r.success == pytest.approx(p[1])


def test_plateau_clips_domain_elo():
    line = EloLine(2.0, -100.0, floor=0.0, ceiling=500.0)
    assert (line(0), line(100), line(1000)) == (0.0, 100.0, 500.0)
    # a saturated Houdini stops gaining: the Guard's odds at a fixed gap improve as both climb
    g, h = EloLine(1.0), EloLine(1.0, 0.0, ceiling=300.0)
    assert nested_success(g, h, 400, 1, start=0).success == pytest.approx(elo_win_probability(0, 300))


def test_bad_arguments():
    g, h, _ = from_gaps(1, 1, 400, 0)
    with pytest.raises(ConfigError, match="steps must be >= 1"):
        nested_success(g, h, 400, 0)
    with pytest.raises(ConfigError, match="gap"):
        nested_success(g, h, -1, 1)


def test_published_fits_reproduce_the_papers_code():
    """At a 400-Elo gap from the weakest model (general Elo 1103) the repository's NSO cell prints n* = 1, 1, 2, 1
    and 0.110623594442584, 0.513584475109634, 0.275691407676766, 0.097977002063204 (80-digit Decimals); the paper's
    abstract reports 13.5 / 51.7 / 10.0 / 9.4 %, from fits not in the repository (see docs/drafts/9-cai-rrm.md)."""
    rows = {r["game"]: r for r in paper_table(400)}
    assert {g: r["best_steps"] for g, r in rows.items()} == {"Mafia": 1, "Debate": 1, "Backdoor Code": 2,
                                                              "Wargames": 1}
    assert rows["Mafia"]["success"] == pytest.approx(0.110623594442584, rel=1e-12)
    assert rows["Debate"]["success"] == pytest.approx(0.513584475109634, rel=1e-12)
    assert rows["Backdoor Code"]["success"] == pytest.approx(0.275691407676766, rel=1e-12)
    assert rows["Wargames"]["success"] == pytest.approx(0.097977002063204, rel=1e-12)
    assert rows["Debate"]["paper_success"] == 0.517


def test_cli_calculator_and_paper():
    obj = last_json(invoke("rrm", "calculator", "--guard-slope", "1", "--houdini-slope", "1", "--gap", "500",
                           "--domain-gap", "300", "--json"))
    assert obj["steps"] == 2 and obj["success"] == pytest.approx(0.183644, abs=1e-6)
    assert last_json(invoke("rrm", "calculator", "--game", "debate", "--gap", "400", "--steps", "3", "--json"))[
        "steps"] == 3
    table = last_json(invoke("rrm", "paper", "--json"))
    assert len(table["games"]) == 4 and table["plateaus"] is False
    assert {r["game"]: r["best_steps"] for r in table["games"]}["Backdoor Code"] == 2
    assert_user_error(invoke("rrm", "calculator", "--gap", "400"), "--guard-slope")
    assert_user_error(invoke("rrm", "calculator", "--gap", "400", "--game", "chess"), "chess")
