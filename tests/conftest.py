"""Shared fixtures: one lab per test process, reset before every test that asks for it."""
from __future__ import annotations

import pytest

import helpers


@pytest.fixture
def lab() -> helpers.Lab:
    """A freshly reset lab: no resources, the clock at its start, an empty trace."""
    return helpers.start(reset=True)
