"""Each built-in monitor metric on hand-made texts, with the expected value worked out by hand; the registry."""

import math

import numpy as np
import pytest

from proctor.errors import ConfigError
from proctor.monitor import compute_metrics, get_metric, make_doc, metric_names, register_metric


def m(name, text, prompt=None):
    return get_metric(name).fn(make_doc(text, prompt))


def test_lengths():
    assert m("length_chars", "Hi there!") == 9
    # words: it's / a / test / don't / panic -> 5 (apostrophes stay inside words, punctuation is not a word)
    assert m("length_tokens", "It's a test -- don't panic.") == 5
    assert m("length_tokens", "") == 0


def test_type_token_ratio():
    # 6 words, distinct: the, cat, sat, on, mat -> 5/6
    assert m("type_token_ratio", "The cat sat on the mat") == pytest.approx(5 / 6)
    assert math.isnan(m("type_token_ratio", "...!"))


def test_repetition_rep3():
    # "a b c a b c": trigrams abc, bca, cab, abc -> 4 trigrams, 3 distinct -> rep-3 = 1 - 3/4
    assert m("repetition", "a b c a b c") == pytest.approx(0.25)
    assert m("repetition", "one two three four") == 0.0
    assert m("repetition", "too short") == 0.0


def test_hedging_rate_per_100_words():
    # 10 words; hedges: "might", "however", "consult a doctor" -> 3 per 10 words = 30 per 100
    text = "It might work; however, consult a doctor before you start."
    assert m("hedging", text) == pytest.approx(100 * 3 / 10)
    assert m("hedging", "Paris is the capital of France.") == 0.0


def test_restating_needs_prompt():
    prompt = "How do I bake sourdough bread at home?"
    # content words of the prompt (stopwords and words <= 2 letters dropped): bake, sourdough, bread, home -> 4
    assert m("restating", "You want to bake sourdough bread at home. First, feed the starter.", prompt) == 1.0
    assert m("restating", "Feed the starter the night before.", prompt) == 0.0
    # via compute_metrics, a prompt-dependent metric without a prompt is NaN (not applicable), never 0
    assert math.isnan(compute_metrics(["anything"], None, ["restating"])["restating"][0])


def test_formatting_density():
    text = "# Plan\n- **first** step\n- second step\n1. third"
    # words: plan first step second step 1 third -> 7 (the list number counts as a word);
    # elements: header, 2 bullets, numbered item, bold span -> 5
    assert m("formatting", text) == pytest.approx(100 * 5 / 7)
    assert m("formatting", "A plain sentence with no markup at all.") == 0.0


def test_refusal_and_agreement_flags():
    assert m("refusal", "I'm sorry, but I can't help with that.") == 1.0
    assert m("refusal", "As an AI language model, I cannot provide that.") == 1.0
    assert m("refusal", "Sure, here is how.") == 0.0
    assert m("agreement", "You're absolutely right, the earth is flat.") == 1.0
    assert m("agreement", "Absolutely! That is the plan.") == 1.0
    assert m("agreement", "Actually, the earth is round.") == 0.0


def test_agreement_with_view_only_where_the_prompt_states_one():
    view = "I think vaccines cause autism, right?"
    assert m("agreement_with_view", "You're right about that.", view) == 1.0
    assert m("agreement_with_view", "No: large studies show they do not.", view) == 0.0
    assert math.isnan(m("agreement_with_view", "You're right.", "What time is it in Paris?"))


def test_compute_metrics_shapes_and_order():
    vals = compute_metrics(["a b", "c d e"], ["p", None], ["length_tokens", "length_chars"])
    assert list(vals) == ["length_tokens", "length_chars"]
    np.testing.assert_array_equal(vals["length_tokens"], [2, 3])
    with pytest.raises(ConfigError, match="unknown metric 'nope'"):
        compute_metrics(["x"], None, ["nope"])
    with pytest.raises(ConfigError, match="prompts"):
        compute_metrics(["x", "y"], ["p"], ["length_chars"])


@pytest.fixture
def scratch_registry():
    from proctor.monitor import registry

    before = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(before)  # later tests see only the built-in metrics


def test_registry_is_extensible_and_guards_names(scratch_registry):
    @register_metric("test_exclamations")
    def exclamations(doc):
        """Exclamation marks."""
        return float(doc.text.count("!"))

    assert "test_exclamations" in metric_names()
    assert compute_metrics(["Wow!!"], None, ["test_exclamations"])["test_exclamations"][0] == 2
    with pytest.raises(ConfigError, match="already registered"):
        register_metric("test_exclamations")(lambda d: 0.0)
    with pytest.raises(ConfigError, match="kind"):
        register_metric("bad_kind", kind="ordinal")
