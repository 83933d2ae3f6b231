import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    # A shell starts a background job (`cmd &` without job control: a CI
    # runner, nohup, a script) with SIGINT ignored, and an ignored signal stays
    # ignored in every program it starts: the tests that press Ctrl-C on
    # `policy batch` would then see it finish (exit 0). A Python handler here
    # is reset to the default in the programs the tests start, as at a terminal.
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    config.addinivalue_line("markers", "browser: opens a page in headless Chromium")
    config.addinivalue_line("markers", "slow: skipped by a quick run, pytest -m 'not slow'")
    # the compiled-policy cache of a test run stays out of the user's home
    import os
    import tempfile

    os.environ.setdefault("POLICY_CACHE_DIR", tempfile.mkdtemp(prefix="policy-cache-"))


@pytest.fixture(scope="session")
def bundled_policy():
    from tests.helpers import load_policy

    return load_policy()


@pytest.fixture(scope="session")
def evaluator(bundled_policy):
    from interpreter.evaluate import Evaluator

    return Evaluator(bundled_policy)


@pytest.fixture
def policy_copy(tmp_path):
    """A writable copy of the bundled policy folder, to edit in a test."""
    from interpreter.loader import bundled_policy_dir

    dest = tmp_path / "policy"
    shutil.copytree(
        bundled_policy_dir(), dest, ignore=shutil.ignore_patterns("__pycache__", "*.py")
    )
    return dest


@pytest.fixture
def reuse_bundled_policy(monkeypatch, bundled_policy):
    """The population commands load the bundled policy through
    population.batch.load_policy_with: hand them the session's copy (loading
    it takes most of a command's time)."""
    import population.batch as batch_module

    real = batch_module.load_policy_with

    def load(policy_dir=None, revisions=(), catalogs=None):
        if policy_dir is None and not revisions:
            return bundled_policy
        return real(policy_dir, revisions, catalogs)

    monkeypatch.setattr(batch_module, "load_policy_with", load)


# Files a person may want to look at after a run (a notice's page 1 as PNG, a
# printed catalogue): kept in $POLICY_TEST_ARTEFACTS, else in pytest's own
# temporary folder, and named at the end of the run.
_ARTEFACTS: list[Path] = []


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory):
    import os

    folder = os.environ.get("POLICY_TEST_ARTEFACTS")
    path = Path(folder) if folder else tmp_path_factory.getbasetemp() / "artefacts"
    path.mkdir(parents=True, exist_ok=True)
    _ARTEFACTS.append(path)
    return path


def pytest_terminal_summary(terminalreporter):
    for path in _ARTEFACTS:
        # the folder may be gone (pytest prunes old temporary folders)
        if path.is_dir() and any(path.iterdir()):
            terminalreporter.write_line(f"artefacts (notices, printed pages): {path}")
