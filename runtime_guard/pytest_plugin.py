"""pytest plugin (``pytest11`` entry point ``costguard``): the runtime guard during test runs.

On in any project whose policy exists (``[tool.costguard]`` found from the root directory, or
``COSTGUARD_CONFIG``). Off with ``-p no:costguard``, ``--costguard=off`` or the ini option
``costguard = off``. The mode is the flag's, else the ini option's, else ``COSTGUARD_RUNTIME``'s,
else the policy's. A guard already on from start-up (``COSTGUARD_RUNTIME``) is kept; a
``--costguard=MODE`` flag overrides its mode for the session with a handle of its own (never by
uninstalling it). ``@pytest.mark.costguard(mode="off")`` gives one test its own mode (setup,
call and teardown). The session's handle stays installed from the first test to the last
whatever tests install and uninstall: every handle is its own. Test modules are never guarded
(only the ``within`` prefixes are), so a test may import the banned module itself; a guarded
module that reaches it makes the test fail with the guard's message. Children of tests are not
guarded by the plugin (set ``COSTGUARD_RUNTIME`` for that).
"""

from __future__ import annotations

from typing import Any, Generator

import pytest

from runtime_guard.config import resolve_policy
from runtime_guard.policy import RUNTIME_MODES, PolicyError

__all__ = ["session_guard"]

_GUARD_KEY = pytest.StashKey["Any"]()


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("costguard", "costguard runtime import guard")
    group.addoption(
        "--costguard",
        action="store",
        dest="costguard_mode",
        default=None,
        choices=RUNTIME_MODES,
        help="runtime guard mode for this run: raise, warn, log or off (default: the policy's)",
    )
    parser.addini("costguard", "runtime guard mode (raise, warn, log, off); empty: the policy's", default="")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "costguard(mode): run this test with the runtime guard in MODE (raise, warn, log or off)"
    )
    flag = config.getoption("costguard_mode")
    mode = flag or (config.getini("costguard") or "").strip() or None
    if mode is not None and mode not in RUNTIME_MODES:
        raise pytest.UsageError(f"costguard ini option: expected one of {', '.join(RUNTIME_MODES)}, got {mode!r}")
    from runtime_guard.hook import active_guard, install

    started = active_guard()
    if started is not None:  # guarded at start-up (COSTGUARD_RUNTIME)
        if flag is None or flag == started.mode:
            return  # leave that guard alone
        config.stash[_GUARD_KEY] = install(mode=flag, inherit=False)  # an explicit override, for the session
        return
    if mode == "off":
        return
    try:
        policy = resolve_policy(start=str(config.rootpath))
        if policy is None:
            return
        guard = install(policy, mode, inherit=False)
    except PolicyError as exc:
        raise pytest.UsageError(f"costguard: {exc}") from None
    config.stash[_GUARD_KEY] = guard


def session_guard(config: Any) -> Any:
    """The handle this plugin installed for the session (None when it installed none)."""
    return config.stash.get(_GUARD_KEY, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Generator[None, None, None]:
    marker = item.get_closest_marker("costguard")
    if marker is None:
        yield
        return
    mode = marker.kwargs.get("mode", marker.args[0] if marker.args else None)
    if mode not in RUNTIME_MODES:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.costguard: mode must be one of {', '.join(RUNTIME_MODES)}, got {mode!r}"
        )
    from runtime_guard.hook import active_guard, override

    handle = override(mode) if active_guard() is not None else None
    try:
        yield
    finally:
        if handle is not None:
            handle.uninstall()


def pytest_report_header(config: Any) -> str | None:
    from runtime_guard.hook import active_guard

    guard = active_guard()
    if guard is None:
        return "costguard: runtime guard off"
    return f"costguard: runtime guard {guard.mode} (policy {guard.policy.source})"


def pytest_unconfigure(config: Any) -> None:
    guard = config.stash.get(_GUARD_KEY, None)
    if guard is not None:
        guard.uninstall()
        del config.stash[_GUARD_KEY]
