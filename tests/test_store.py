"""The run store: keys from configs, atomic units, skip on rerun, metadata."""

import numpy as np

from proctor.runs.store import RunStore, unit_key


def test_key_is_order_independent():
    assert unit_key({"a": 1, "b": [1, 2]}) == unit_key({"b": [1, 2], "a": 1})
    assert unit_key({"a": 1}) != unit_key({"a": 2})


def test_get_or_compute_runs_once(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"acc": 0.5}, {"proba": np.ones((3, 2), dtype=np.float32)}

    with RunStore(tmp_path) as st:
        u, computed = st.get_or_compute("exp", "weak", {"seed": 0}, compute)
        assert computed and u.result == {"acc": 0.5}
    with RunStore(tmp_path) as st:
        u2, computed = st.get_or_compute("exp", "weak", {"seed": 0}, compute)
        assert not computed and u2.key == u.key
        assert st.arrays(u.key)["proba"].shape == (3, 2)
        assert st.experiments() == ["exp"] and len(st.units(kind="weak")) == 1
    assert len(calls) == 1


def test_failed_compute_leaves_nothing(tmp_path):
    def boom():
        raise RuntimeError("killed")

    with RunStore(tmp_path) as st:
        try:
            st.get_or_compute("exp", "weak", {"seed": 1}, boom)
        except RuntimeError:
            pass
        assert st.units() == []
        assert not list((tmp_path / "units").iterdir())


def test_meta_round_trip_and_temporaries(tmp_path):
    with RunStore(tmp_path) as st:
        st.set_meta("suite", {"name": "x", "n": [1, 2]})
        assert st.meta()["suite"] == {"name": "x", "n": [1, 2]}
        (tmp_path / "units" / ".abc.123.tmp.npz").write_bytes(b"partial")
        assert st.clean_temporaries() == 1
