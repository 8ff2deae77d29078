"""Shared fixtures: the reference package on the path, slow-test gating, CIFAR-10 location."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from grader.courses import get_profile
from grader.courses.family.cifar10 import default_location as default_cifar10

# Tests import the default course's trusted reference as course code does: `from cs231n.layers import ...`.
sys.path.insert(0, str(get_profile().paths.reference))


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run tests marked slow (CI does)")


def pytest_sessionstart(session):
    """A nested run (tests/test_isolation.py) states the sandbox mode its cases must get."""
    expected = os.environ.get("GRADER_EXPECT_SANDBOX")
    if expected:
        from grader.sandbox import SandboxError, probe_isolation

        try:
            got = probe_isolation()
        except SandboxError as exc:
            pytest.exit(f"no sandbox here: {exc}", returncode=97)  # the caller skips, with this reason
        if got["mode"] != expected:
            pytest.exit(f"the sandbox runs in mode {got['mode']} here, not {expected}: {got['fallbacks']}",
                        returncode=97)


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cifar10_path() -> Path:
    path = default_cifar10()
    if path is None or not Path(path).exists():
        pytest.skip("real CIFAR-10 not found: set CIFAR10_PATH or put ../shared/cifar10 beside the checkout")
    return Path(path)
