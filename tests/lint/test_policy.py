"""runtime_guard.policy: the one loader both sides use. Every invalid field is one error that
names the key and the file."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from runtime_guard.policy import (
    Ban,
    PolicyError,
    find_pyproject,
    is_within,
    load_policy,
    load_policy_for,
    module_name_for_path,
)

GOOD_BAN = 'module = "a.b.c"\nwithin = ["a.svc"]\n'


def write(tmp_path: Path, text: str, name: str = "pyproject.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "key", "problem"),
    [
        ('[[tool.costguard.ban]]\nmodule = 1\nwithin = ["a"]\n', "tool.costguard.ban[0].module", "expected a module name"),
        ('[[tool.costguard.ban]]\nmodule = ""\nwithin = ["a"]\n', "tool.costguard.ban[0].module", "must not be empty"),
        ('[[tool.costguard.ban]]\nmodule = "a..b"\nwithin = ["a"]\n', "tool.costguard.ban[0].module", "not a dotted module name"),
        ('[[tool.costguard.ban]]\nwithin = ["a"]\n', "tool.costguard.ban[0].module", "missing"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\n', "tool.costguard.ban[0].within", "missing"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = []\n', "tool.costguard.ban[0].within", "at least one"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = "a"\n', "tool.costguard.ban[0].within", "expected a list"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a", 2]\n', "tool.costguard.ban[0].within[1]", "expected a module name"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a"]\nallow = "x"\n', "tool.costguard.ban[0].allow", "expected a list"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a"]\nallow = ["x-y"]\n', "tool.costguard.ban[0].allow[0]", "not a dotted module name"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a"]\nreason = 3\n', "tool.costguard.ban[0].reason", "expected a string"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a"]\nuse_instead = []\n', "tool.costguard.ban[0].use_instead", "expected a string"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a"]\ntransitive = "yes"\n', "tool.costguard.ban[0].transitive", "expected true or false"),
        ('[[tool.costguard.ban]]\nmodule = "a.b"\nwithin = ["a"]\nwhy = "x"\n', "tool.costguard.ban[0].why", "unknown key"),
        (f'[[tool.costguard.ban]]\n{GOOD_BAN}[[tool.costguard.ban]]\nmodule = "x"\n', "tool.costguard.ban[1].within", "missing"),
        ('[tool.costguard]\nban = 3\n', "tool.costguard.ban", "expected [[tool.costguard.ban]]"),
        ('[tool.costguard]\nban = [1]\n', "tool.costguard.ban[0]", "expected a table"),
        ('[tool.costguard]\nbans = []\n', "tool.costguard.bans", "unknown key"),
        ('[tool]\ncostguard = 1\n', "tool.costguard", "expected a table"),
        ('[tool.costguard.runtime]\nmode = "loud"\n', "tool.costguard.runtime.mode", "expected one of"),
        ('[tool.costguard.runtime]\nmod = "raise"\n', "tool.costguard.runtime.mod", "unknown key"),
        ('[tool.costguard.prices]\n"s3.GOT" = 1\n', "tool.costguard.prices.s3.GOT", "unknown request kind"),
        ('[tool.costguard.prices]\n"s3.GET" = -1\n', "tool.costguard.prices.s3.GET", "non-negative"),
        ("[tool.costguard\n", "toml", "not valid TOML"),
    ],
)
def test_every_invalid_field_is_one_error_naming_key_and_file(tmp_path: Path, toml: str, key: str, problem: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    error = caught.value
    assert (error.path, error.key) == (str(path), key)
    assert problem in error.problem
    assert str(error) == f"{path}: {key}: {error.problem}"
    assert "\n" not in str(error)
    assert pickle.loads(pickle.dumps(error)).args == error.args


def test_full_ban_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[tool.costguard.ban]]\nmodule = "a.b.c"\nwithin = ["a.svc", "a.wrk"]\nallow = ["a.svc.ok"]\n'
        'reason = "costly"\nuse_instead = "a.b.d"\ntransitive = true\n',
    )
    policy = load_policy(path)
    assert policy is not None and policy.source == path
    assert policy.bans == (Ban("a.b.c", ("a.svc", "a.wrk"), ("a.svc.ok",), "costly", "a.b.d", True),)
    ban = policy.bans[0]
    assert ban.leaf == "c"
    assert ban.message(ban.scope_of("a.svc.x.y")) == "a.b.c is banned in a.svc: costly; use a.b.d"


def test_dedicated_policy_file_and_missing_table(tmp_path: Path) -> None:
    dedicated = write(tmp_path, f"[[ban]]\n{GOOD_BAN}", name="costguard.toml")
    assert load_policy(dedicated).bans[0].module == "a.b.c"  # type: ignore[union-attr]
    empty = write(tmp_path, "[project]\nname = 'x'\n")
    assert load_policy(empty, required=False) is None
    with pytest.raises(PolicyError, match="no \\[tool.costguard\\] table"):
        load_policy(empty)


def test_prefixes_match_on_dot_boundaries_only() -> None:
    assert is_within("a.b", "a.b") and is_within("a.b.c", "a.b")
    assert not is_within("a.bc", "a.b") and not is_within("a", "a.b") and not is_within("a.b_utils", "a.b")


def test_guards_within_allow_and_the_banned_module_itself() -> None:
    ban = Ban("a.svc.x.banned", ("a.svc", "a.wrk"), allow=("a.svc.ok",))
    assert ban.guards("a.svc.api") and ban.guards("a.wrk") and ban.guards("a.svc")
    assert not ban.guards("a.scripts.tool") and not ban.guards("a.svcx")
    assert not ban.guards("a.svc.ok.sub")
    assert not ban.guards("a.svc.x.banned") and not ban.guards("a.svc.x.banned.inner")
    assert ban.bans("a.svc.x.banned.inner") and not ban.bans("a.svc.x.banned_utils")


def test_nearest_pyproject_and_module_names(tmp_path: Path) -> None:
    write(tmp_path, f"[[tool.costguard.ban]]\n{GOOD_BAN}")
    package = tmp_path / "a" / "svc"
    package.mkdir(parents=True)
    (tmp_path / "a" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("")
    assert find_pyproject(package / "mod.py") == tmp_path / "pyproject.toml"
    assert load_policy_for(package).bans[0].module == "a.b.c"  # type: ignore[union-attr]
    assert module_name_for_path(package / "mod.py") == "a.svc.mod"
    assert module_name_for_path(package / "__init__.py") == "a.svc"
    inner = tmp_path / "inner"
    inner.mkdir()
    write(inner, "[project]\nname = 'x'\n")
    # a nested sub-project without [tool.costguard] is passed over, as ruff does for [tool.ruff]
    assert load_policy_for(inner).bans[0].module == "a.b.c"  # type: ignore[union-attr]
