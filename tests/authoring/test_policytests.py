"""The bundled policy tests (policy/tests/*.yaml) under pytest.

Plain `pytest` runs the same files as `policy test`: one pytest item per policy
test, named after it, failing with the explanation `policy test` prints. A
second test keeps the set from shrinking: at least 80 tests, and every clause
of every program seen true, false and unknown, every standard value used.
"""

import pytest

from authoring.policytests import Coverage, collect, explain_failure, run_test
from interpreter.loader import bundled_policy_dir
from tests.helpers import ROOT

TEST_DIR = bundled_policy_dir() / "tests"
POLICY_TESTS = collect([TEST_DIR])
# the worked examples (examples/tests.yaml: not installed with the package)
EXAMPLE_TESTS = collect([ROOT / "examples" / "tests.yaml"])

MIN_TESTS = 80

# Every clause of every program must be seen true, false and unknown by some
# test, and every standard value used: CI fails when coverage drops.
KNOWN_UNCOVERED: list = []
KNOWN_UNUSED_STANDARDS: list = []


@pytest.mark.parametrize(
    "test", POLICY_TESTS + EXAMPLE_TESTS, ids=[t.name for t in POLICY_TESTS + EXAMPLE_TESTS]
)
def test_policy_test(bundled_policy, evaluator, test):
    outcome = run_test(evaluator, test)
    if not outcome.passed:
        pytest.fail(explain_failure(bundled_policy, outcome), pytrace=False)


def test_policy_test_names_are_unique():
    names = [t.name for t in POLICY_TESTS]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_bundled_policy_tests_are_many_and_cover_every_clause(bundled_policy, evaluator):
    assert len(POLICY_TESTS) >= MIN_TESTS, (
        f"only {len(POLICY_TESTS)} policy tests in {TEST_DIR}; at least {MIN_TESTS} expected"
    )
    coverage = Coverage(bundled_policy)
    for t in POLICY_TESTS:
        run_test(evaluator, t, coverage)
    assert coverage.uncovered() == KNOWN_UNCOVERED, coverage.render()
    assert coverage.unused_standard_values() == KNOWN_UNUSED_STANDARDS, coverage.render()
