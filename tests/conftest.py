"""The project's own suite runs under its runtime guard from the first test to the last.

Every test checks, as it ends, that the guard the session started with (the pytest plugin's
handle, or the start-up guard of ``COSTGUARD_RUNTIME``) is still installed and active: a test
that installs and uninstalls its own guard must not switch the session's off (issue 10, item 5).
"""

from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(autouse=True)
def session_guard_stays_on(request: pytest.FixtureRequest) -> Iterator[None]:
    from runtime_guard.hook import active_guard
    from runtime_guard.pytest_plugin import session_guard

    guard = session_guard(request.config) or active_guard()
    marked = request.node.get_closest_marker("costguard") is not None
    yield
    if guard is None:
        return  # run with the guard off (-p no:costguard, --costguard=off)
    assert guard.installed, f"the session's runtime guard was uninstalled during {request.node.nodeid}"
    assert marked or active_guard() is guard, (
        f"{request.node.nodeid} left another guard active: {active_guard()!r} instead of {guard!r}"
    )
