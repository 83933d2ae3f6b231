"""Tools for those who write a policy, built on the engine: lint, fmt and
the policy tests (expected decisions, clause coverage)."""
