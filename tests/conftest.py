"""Shared test fixtures. axelrod is imported only by the tests that cross-check against it."""

import pytest


@pytest.fixture(scope="session")
def axl():
    import axelrod

    return axelrod
