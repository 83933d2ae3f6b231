"""Fixtures of the service tests: real servers, stopped at the end of a module."""

from __future__ import annotations

import shutil

import pytest

from tests.service.server import Server


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    """Start servers for a module: ``serve(*args)`` → Server; all stopped at the end."""
    started = []
    tmp = tmp_path_factory.mktemp("serve")

    def start(*args, env=None, wait=True):
        s = Server(*args, tmp=tmp, env=env, wait=wait)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def open_server(serve):
    """Stateless decisions open to anyone; the facts logged (IDs masked)."""
    return serve("--anonymous-decisions", "--log-input")
