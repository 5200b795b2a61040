import os
from pathlib import Path

import pytest


@pytest.fixture
def data_dir() -> Path:
    """The shared data folder (PROCTOR_DATA); `.ci/run` sets it, so CI never skips these tests."""
    root = os.environ.get("PROCTOR_DATA")
    if not root or not Path(root, "sst2").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("PROCTOR_DATA must point at the shared data folder in CI")
        pytest.skip("PROCTOR_DATA is not set to the shared data folder")
    return Path(root)
