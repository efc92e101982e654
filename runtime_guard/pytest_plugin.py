"""pytest plugin (``pytest11`` entry point ``costguard``): the runtime guard during test runs.

On in any project whose policy exists (``[tool.costguard]`` in the nearest pyproject.toml from
the root directory, or ``COSTGUARD_CONFIG``). Off with ``-p no:costguard``,
``--costguard=off`` or the ini option ``costguard = off``. The mode is the flag's, else the ini
option's, else ``COSTGUARD_RUNTIME``'s, else the policy's; a guard already on from start-up
(``COSTGUARD_RUNTIME``) is kept unless the command-line flag asks for another mode. Test
modules are never guarded (only the ``within`` prefixes are), so a test may import the banned
module itself; a guarded module that reaches it makes the test fail with the guard's message.
Children of tests are not guarded by the plugin (set ``COSTGUARD_RUNTIME`` for that).
"""

from __future__ import annotations

from typing import Any

import pytest

from runtime_guard.config import resolve_policy
from runtime_guard.policy import RUNTIME_MODES, PolicyError

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
    flag = config.getoption("costguard_mode")
    mode = flag or (config.getini("costguard") or "").strip() or None
    if mode is not None and mode not in RUNTIME_MODES:
        raise pytest.UsageError(f"costguard ini option: expected one of {', '.join(RUNTIME_MODES)}, got {mode!r}")
    from runtime_guard.hook import active_guard, install

    started = active_guard()
    if started is not None and started.installed:  # guarded at start-up (COSTGUARD_RUNTIME)
        if flag is None or flag == started.mode:
            return  # leave that guard alone
        started.uninstall()  # the command-line flag beats COSTGUARD_RUNTIME
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


def pytest_report_header(config: Any) -> str | None:
    from runtime_guard.hook import active_guard

    guard = active_guard()
    if guard is None or not guard.installed:
        return "costguard: runtime guard off"
    return f"costguard: runtime guard {guard.mode} (policy {guard.policy.source})"


def pytest_unconfigure(config: Any) -> None:
    guard = config.stash.get(_GUARD_KEY, None)
    if guard is not None:
        guard.uninstall()
        del config.stash[_GUARD_KEY]
