"""In-process checks of the guard's parts that need no hook: the error, the decisions, the
importtime parser and the policy/mode precedence."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from runtime_guard import CostguardWarning, ForbiddenImportError
from runtime_guard.checker import Checker
from runtime_guard.config import resolve_mode
from runtime_guard.hook import _make_import_wrapper, install, statement_targets
from runtime_guard.importtime import forbidden_paths, parse_importtime
from runtime_guard.policy import Ban, Policy, PolicyError, RuntimeSettings

BAN = Ban(module="acme.svc.raw", within=("acme.svc", "acme.jobs"), allow=("acme.svc.ok",), reason="billed", use_instead="acme.svc.index")
POLICY = Policy(bans=(BAN,), runtime=RuntimeSettings(mode="warn"))


def test_error_message_attributes_and_pickling() -> None:
    error = ForbiddenImportError("acme.svc.raw", "acme.jobs.x", ("__main__", "acme.jobs.x", "acme.svc.raw"), "billed", "acme.svc.index", "acme.jobs")
    assert isinstance(error, ImportError) and error.name == "acme.svc.raw"
    assert str(error) == (
        "acme.svc.raw is banned in acme.jobs (imported by acme.jobs.x; import chain: __main__ -> acme.jobs.x -> "
        "acme.svc.raw): billed; use acme.svc.index"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ForbiddenImportError and str(copy) == str(error)
    assert (copy.module, copy.importer, copy.chain, copy.reason, copy.use_instead, copy.scope) == (
        error.module, error.importer, error.chain, error.reason, error.use_instead, error.scope
    )
    assert issubclass(CostguardWarning, UserWarning)


def test_decisions_follow_the_policy() -> None:
    checker = Checker(POLICY, "raise")
    assert checker.decide({"__name__": "acme.jobs.x"}) == (BAN,)
    assert checker.decide({"__name__": "acme.svc.ok.sub"}) == ()  # allow wins
    assert checker.decide({"__name__": "acme.svc.raw.inner"}) == ()  # the banned module's own code
    assert checker.decide({"__name__": "acme.scripts.load"}) == ()
    assert checker.decide({"__name__": "acme.svcx"}) == ()  # prefix on dot boundaries only
    assert checker.is_banned("acme.svc.raw.fast") and not checker.is_banned("acme.svc.raw_utils")
    error = checker.check((BAN,), "acme.jobs.x", ["acme.svc", "acme.svc.raw"], None)  # the caller raises it
    assert isinstance(error, ForbiddenImportError) and error.chain == ("acme.jobs.x", "acme.svc.raw")
    assert checker.check((BAN,), "acme.jobs.x", ["acme.svc.raw_utils", "json"], None) is None  # nothing banned


def test_statement_targets_resolve_relative_and_fromlist() -> None:
    namespace = {"__name__": "acme.svc.store.mod", "__package__": "acme.svc.store"}
    assert statement_targets("", namespace, ["raw"], 1) == ["acme.svc.store", "acme.svc.store.raw"]
    assert statement_targets("raw", namespace, ["read"], 1) == ["acme.svc.store.raw", "acme.svc.store.raw.read"]
    assert statement_targets("x", namespace, None, 2) == ["acme.svc.x"]
    import json

    assert statement_targets("json", namespace, ("*",), 0) == ["json", *(f"json.{name}" for name in json.__all__)]


def test_import_wrapper_without_usable_globals_behaves_like_cpython() -> None:
    import builtins
    import json

    original = getattr(builtins.__import__, "__costguard_wrapper__", builtins.__import__)
    wrapper = _make_import_wrapper(original)
    with install(Policy(bans=(BAN,)), mode="raise", inherit=False):  # an override of the session's guard
        assert wrapper("json", 5) is json  # CPython ignores globals for an absolute import
        for args in ((None, None, ["x"], 1), (5, None, ["x"], 1)):
            with pytest.raises(Exception) as expected:
                original("", *args)
            with pytest.raises(type(expected.value)):
                wrapper("", *args)  # not resolved against the caller's package
        namespace = {"__name__": "acme.jobs.x", "wrapper": wrapper}
        with pytest.raises(ForbiddenImportError) as caught:
            exec("wrapper('acme.svc.raw', None)", namespace)  # no globals given: the caller is the importer
        assert caught.value.importer == "acme.jobs.x"


def test_protect_skips_a_broken_pyproject_in_the_cwd_when_its_own_policy_bans_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runtime_guard.protect import _policy_for

    project = tmp_path / "project"
    (project / "acme" / "svc").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[[tool.costguard.ban]]\nmodule = "acme.svc.raw"\nwithin = ["acme.jobs"]\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text("not = = toml\n", encoding="utf-8")
    monkeypatch.delenv("COSTGUARD_CONFIG", raising=False)
    monkeypatch.chdir(elsewhere)
    raw = str(project / "acme" / "svc" / "raw.py")
    found = _policy_for(["acme.svc.raw"], raw, None)
    assert found is not None and found.source == project / "pyproject.toml"
    with pytest.raises(PolicyError, match="not valid TOML"):  # nothing else bans it: the error stands
        _policy_for(["acme.svc.other"], raw, None)


def test_mode_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COSTGUARD_RUNTIME", raising=False)
    assert resolve_mode(None, POLICY) == "warn"
    monkeypatch.setenv("COSTGUARD_RUNTIME", "log")
    assert resolve_mode(None, POLICY) == "log"
    assert resolve_mode("raise", POLICY) == "raise"
    monkeypatch.setenv("COSTGUARD_RUNTIME", "1")
    assert resolve_mode(None, POLICY) == "warn"
    monkeypatch.setenv("COSTGUARD_RUNTIME", "loud")
    with pytest.raises(PolicyError, match="COSTGUARD_RUNTIME: environment: expected one of raise, warn, log, off"):
        resolve_mode(None, POLICY)


LOG = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     acme.svc.raw
import time:        50 |        150 |   acme.svc.common.h
import time:        10 |        160 | acme.jobs.x
import time:         7 |          7 |     acme.svc.raw.fast
import time:         5 |         12 |   acme.scripts.load
import time:         3 |         15 | acme.jobs.y
some other stderr line
"""


def test_importtime_tree_and_paths() -> None:
    roots = parse_importtime(LOG)
    assert [r.module for r in roots] == ["acme.jobs.x", "acme.jobs.y"]
    assert [c.module for c in roots[0].children] == ["acme.svc.common.h"]
    paths = forbidden_paths(roots, POLICY)
    assert [(p.importer, p.module, [n.module for n in p.path]) for p in paths] == [
        ("acme.svc.common.h", "acme.svc.raw", ["acme.jobs.x", "acme.svc.common.h", "acme.svc.raw"])
    ]
    assert (paths[0].path[-1].self_us, paths[0].path[-1].cumulative_us) == (100, 100)
    transitive = Policy(bans=(Ban(module="acme.svc.raw", within=("acme.jobs",), transitive=True),))
    found = forbidden_paths(roots, transitive)
    assert [(p.importer, p.module) for p in found] == [("acme.jobs.x", "acme.svc.raw"), ("acme.jobs.y", "acme.svc.raw.fast")]


def test_python_m_runtime_guard_usage(tmp_path: Path) -> None:
    from runtime_guard.__main__ import UsageError, parse

    assert parse(["--mode", "warn", "-m", "pkg.mod", "-x", "--mode", "y"]) == ("warn", None, "pkg.mod", None, ["-x", "--mode", "y"])
    assert parse(["--policy=p.toml", "s.py", "a"]) == (None, "p.toml", None, "s.py", ["a"])
    for bad in (["--mode", "loud", "s.py"], ["-m"], [], ["--what", "s.py"]):
        with pytest.raises(UsageError):
            parse(bad)
