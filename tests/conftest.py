import functools
import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _inspect_logs_outside_the_checkout(tmp_path_factory):
    """inspect-ai writes to ./logs when a call names no log folder: keep test runs from writing into the checkout."""
    if "INSPECT_LOG_DIR" not in os.environ:
        os.environ["INSPECT_LOG_DIR"] = str(tmp_path_factory.mktemp("inspect-logs"))
    yield


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: CI must provide it, e.g. apt-get install -y chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Debian's headless chromium driven by Playwright (never a downloaded browser); skipped where it is missing,
    a failure under CI=true."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright (python) is not installed: pip install -e '.[dev]'")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def data_dir() -> Path:
    """The shared data folder (PROCTOR_DATA); `.ci/run` sets it, so CI never skips these tests."""
    root = os.environ.get("PROCTOR_DATA")
    if not root or not Path(root, "sst2").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("PROCTOR_DATA must point at the shared data folder in CI")
        pytest.skip("PROCTOR_DATA is not set to the shared data folder")
    return Path(root)


def invoke(*args, env: dict | None = None, input: str | None = None):
    """Run `proctor ARGS...` in-process on the real app (typer's CliRunner, stdout and stderr kept apart)."""
    from typer.testing import CliRunner

    from proctor.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], env=env, input=input)


def _cache_command_trees() -> None:
    """typer's CliRunner rebuilds an app's click command tree on every invoke (0.1 s for proctor's): build each
    app's tree once per session instead. Test-only; the apps do not change after import."""
    import typer.testing

    typer.testing._get_command = functools.cache(typer.testing._get_command)


_cache_command_trees()


def last_json(result) -> dict:
    """The `--json` object a verb prints as the last line of stdout; `result` is a CliRunner result or a
    subprocess.CompletedProcess, and the command must have succeeded."""
    import json

    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code == 0, (result.stdout or "")[-2000:] + (result.stderr or "")[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines, "no output on stdout"
    return json.loads(lines[-1])


def assert_user_error(result, *needles):
    """A CLI result that is a user mistake: exit 2, exactly one line on stderr naming `needles`, no traceback."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for n in needles:
        assert n in lines[0], lines[0]


def identity_sae(d: int = 2):
    """An SAE whose latents are +e_i and -e_i with k = d and zero biases: it reconstructs every input exactly."""
    import torch

    from proctor.sae.config import SAEConfig
    from proctor.sae.model import SparseAutoencoder

    sae = SparseAutoencoder(SAEConfig(d_in=d, num_latents=2 * d, k=d))
    eye = torch.eye(d)
    with torch.no_grad():
        sae.encoder.weight.copy_(torch.cat([eye, -eye]))
        sae.encoder.bias.zero_()
        sae.W_dec.copy_(torch.cat([eye, -eye]))
        sae.b_dec.zero_()
    return sae.eval()
