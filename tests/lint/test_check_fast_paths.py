"""The shortcuts of ``costguard check`` give what the general code gives.

- ``decode_lines`` reads the usual UTF-8 file without tokenize: the same lines as flake8's way.
- ``main`` reads the usual command line without argparse: the same arguments as argparse.
- ``read_imports`` reads import statements without parsing the file: the same imports, at the
  same places, grouped in the same statements, as ``module_imports`` over the whole ast
  (hypothesmith programs, hand-written corner cases, and the standard library).
"""

from __future__ import annotations

import ast
import os
import sysconfig
import warnings

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flake8_costguard.check import _quick_arguments, _utf8_lines, build_parser, decode_lines, decode_with_tokenize
from flake8_costguard.graph import module_imports, read_imports

# -- decoding -------------------------------------------------------------------------------

PIECES = ["a", "import x\n", "\n", "\r\n", "\r", "\x0c", "\x0b", "\x1c", "é", "\u2028", "\x85", "# -*- coding: latin-1 -*-\n",
          "# coding=utf-8\n", "\ufeff", "'''", " ", "\t"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12), st.sampled_from(["utf-8", "latin-1", "utf-8-sig"]))
def test_decoding_without_tokenize_gives_flake8s_lines(pieces: list[str], encoding: str) -> None:
    try:
        data = "".join(pieces).encode(encoding)
    except UnicodeEncodeError:
        assume(False)
        return
    assert decode_lines(data) == decode_with_tokenize(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_decoding_any_bytes_gives_flake8s_lines(data: bytes) -> None:
    assert decode_lines(data) == decode_with_tokenize(data)


def test_the_shortcut_is_taken_for_the_usual_file() -> None:
    assert _utf8_lines(b"import os\r\nx = 'd\xc3\xa9j\xc3\xa0'\n") == ["import os\n", "x = 'déjà'\n"]
    assert _utf8_lines(b"# -*- coding: latin-1 -*-\nx = 1\n") is None


# -- arguments ------------------------------------------------------------------------------

ARGUMENTS = ["a.py", "src", "--config", "p.toml", "--select", "CG101", "--ignore", "CG1", "--format", "json", "sarif",
             "--cache-dir", "c", "--no-cache", "--", "-x", "--conf", "--format=github", "--help", "bogus", ""]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(ARGUMENTS), max_size=7))
def test_the_quick_reading_of_arguments_is_argparses(argv: list[str]) -> None:
    quick = _quick_arguments(argv)
    if quick is None:
        return  # argparse reads it
    parsed = build_parser().parse_args(argv)
    assert vars(quick) == vars(parsed)


def test_the_usual_command_line_is_read_quickly() -> None:
    assert _quick_arguments(["--config", "p.toml", "--cache-dir", "c", "a.py", "b.py"]) is not None
    assert _quick_arguments(["--help"]) is None and _quick_arguments(["a.py", "--no-cache", "b.py"]) is None


# -- import statements ----------------------------------------------------------------------


def _same_imports(text: str, importer: str = "a.jobs.m", is_package: bool = False) -> None:
    lines = text.splitlines(keepends=True)
    whole = module_imports(ast.parse(text), lines, importer, is_package)
    fast = read_imports(lines, importer, is_package)
    assert [(i.candidates, i.line, i.col) for i in fast] == [(i.candidates, i.line, i.col) for i in whole]

    def groups(found: list) -> list:
        return sorted(sorted((i.line, i.col) for i in found if i.statement == s) for s in {i.statement for i in found})

    assert groups(fast) == groups(whole)


CORNERS = [
    "from a import (\n    b,\n    c as d,\n)\n",
    "from a import (b, c)  # x\nimport e\n",
    "from . import (\n  x,\n  y)\n",
    "from .. import *\nfrom .b import *\n",
    "from aimport import x\n",
    "from a.b import(c)\n",
    "from a import (\n b,  # why\n c)\n",
    "from a import (\n b\n as c)\n",
    "import a.b as c, d\n",
    "def f():\n    from a import (\n        b,\n    )\n    import c; import d\n",
    "from a \\\n    import b\n",
    "x = '''\nimport fake\n'''\nimport real\n",
    "import a\r\nimport b\n",
    "import a\x0cimport b\n",
    "s = f'{1}'\nimport a\n",
    "if x: import y\nimport z\n",
    "from ....... import q\n",
]


@pytest.mark.parametrize("text", CORNERS)
def test_corner_cases_read_as_the_parser_reads_them(text: str) -> None:
    try:
        ast.parse(text)
    except SyntaxError:
        pytest.skip("not Python")
    _same_imports(text)
    _same_imports(text, "a.jobs", True)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_generated_programs_read_as_the_parser_reads_them(source: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            assume(False)
            return
        _same_imports(source)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(CORNERS + ["x = 1\n", "    \n", "# import z\n", "'''\n'''\n", "y = (\n 1)\n"]), max_size=8))
def test_mixed_corner_cases_read_as_the_parser_reads_them(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        ast.parse(text)
    except SyntaxError:
        assume(False)
        return
    _same_imports(text)


def _stdlib_sample() -> list[str]:
    root = sysconfig.get_paths()["stdlib"]
    found = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in ("site-packages", "__pycache__"))
        found.extend(os.path.join(directory, n) for n in sorted(names) if n.endswith(".py"))
    return found[::7]  # a seventh of the library, tests included (every kind of statement)


def test_the_standard_library_reads_as_the_parser_reads_it() -> None:
    checked = 0
    for path in _stdlib_sample():
        with open(path, "rb") as handle:
            lines = decode_lines(handle.read())
        text = "".join(lines)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ast.parse(text)
            except (SyntaxError, ValueError):
                continue
            _same_imports(text.replace("\r", ""), "a.b.c", path.endswith("__init__.py"))
        checked += 1
    assert checked > 200


# -- the statement stage of costguard check -------------------------------------------------

STAGE_CASES = [
    "import a.b.c\n",
    "from a.b import c\nc.get()\n",
    "import a\na.b.c.get()\n",  # CG103: the whole ast is read
    "import a.b.c\na.b.c.get()\n",
    "from . import c\n",
    "from .b import c as d\n",
    "from .. import b\nb.c.x()\n",
    "import a.b.cc\nimport c\n",
    "x = 'c'\nprint(x.c)\n",
    "import a.b.c\ndef (:\n",  # does not parse: nothing, as with flake8
    "import importlib\nimportlib.import_module('a.b.c')\n",
    "if x: import a.b.c\n",
    "def f():\n    from a.b import (\n        c,\n    )\n",
    "import ａ.b.c\n",
    "s = '''\nimport a.b.c\n'''\n",
]


@pytest.mark.parametrize("text", STAGE_CASES)
@pytest.mark.parametrize("module", ["a.x.m", "a.b.m", "a.b"])
def test_reading_statements_gives_the_ast_stages_findings(text: str, module: str, tmp_path) -> None:
    from flake8_costguard.stages import new_counts, staged_findings
    from runtime_guard.policy import Ban, Policy

    policy = Policy(bans=(Ban("a.b.c", ("a",)), Ban("a.b.cc", ("a.x",))), roots=(str(tmp_path),))
    filename = str(tmp_path / (module.replace(".", "/") + ("/__init__.py" if module == "a.b" else ".py")))
    lines = text.splitlines(keepends=True)
    fast = staged_findings(filename, lines, policy, new_counts(), use_libcst=False, read_statements=True)
    whole = staged_findings(filename, lines, policy, new_counts(), use_libcst=False)
    assert fast == whole


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(STAGE_CASES + ["x = 1\n", "import a.b\n", "from a import b\n", "b.c.d = 1\n"]), max_size=6))
def test_mixed_files_give_the_ast_stages_findings(pieces: list[str]) -> None:
    from flake8_costguard.stages import new_counts, staged_findings
    from runtime_guard.policy import Ban, Policy

    policy = Policy(bans=(Ban("a.b.c", ("a",)),), roots=("/nonexistent-root",))
    lines = "".join(pieces).splitlines(keepends=True)
    filename = "/nonexistent-root/a/x/m.py"
    fast = staged_findings(filename, lines, policy, new_counts(), use_libcst=False, read_statements=True)
    assert fast == staged_findings(filename, lines, policy, new_counts(), use_libcst=False)
