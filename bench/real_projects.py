"""The lint on real projects: costguard (CG) against ruff (TID251) and import-linter (forbidden).

Fetches nothing: give it the checkouts (any commit; docs/real-projects.md names the ones used)::

    python bench/real_projects.py --moto /tmp/real/moto --localstack /tmp/real/localstack \
        --otel /tmp/real/otel [--runs 5] [--details]

For each project it

1. names every ``.py`` file of the project's packages with ``module_name_for_path`` and checks
   the name against what Python's own path finder resolves (``importlib.machinery.PathFinder``
   walking the import roots the project's packaging declares, no code executed), and counts how
   many files the old ``__init__.py`` walk misnamed;
2. writes the policy (bans below) to a temporary folder and runs ``flake8 --select CG
   --costguard-config``, ruff ``--select TID251`` once per ban (``banned-api`` for that module,
   ``per-file-ignores`` keeping the ban to the ``within`` folders minus ``allow``, the project's
   namespace packages declared), and import-linter with one ``forbidden`` contract per ban
   (``allow_indirect_imports``: direct imports only, as the lint sees them);
3. compares the findings by (module, line, banned module) and prints every difference with the
   source line and its category;
4. with ``--runs N`` (N >= 1), times ``flake8 --select CG`` against ``ruff --select TID251``
   (all bans in one config) over the same paths: fresh processes, interleaved, medians.

Nothing from the checkouts is copied into this repository.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime_guard.policy import module_name_for_path, package_of_directory  # noqa: E402

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Ban:
    module: str
    within: tuple[str, ...]
    allow: tuple[str, ...] = ()
    reason: str = ""


@dataclass
class Project:
    name: str
    #: import roots (sys.path entries) relative to the checkout, as the packaging declares them
    roots: tuple[str, ...]
    #: top-level packages linted (folders under the roots)
    packages: tuple[str, ...]
    bans: tuple[Ban, ...]
    #: folders (relative to the checkout) ruff must be told are namespace packages
    namespace_packages: tuple[str, ...] = ()
    checkout: Path = Path()
    root_paths: list[Path] = field(default_factory=list)


def glob_roots(checkout: Path, patterns: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        matches = [checkout] if pattern == "." else checkout.glob(pattern)
        found.extend(sorted(p for p in matches if p.is_dir()))
    return found


PROJECTS = {
    "moto": Project(
        name="getmoto/moto",
        roots=(".",),
        packages=("moto",),
        bans=(
            Ban("moto.s3.models", ("moto.ec2", "moto.dynamodb", "moto.cloudformation", "moto.logs", "moto.firehose"),
                reason="other services reach S3 through the backend registry"),
            Ban("boto3", ("moto.core",), reason="the core must not need the SDK it mocks"),
            Ban("moto.appmesh.utils", ("moto.appmesh.dataclasses",), reason="data classes stay below the helpers"),
            Ban("flask", ("moto.core", "moto.moto_api", "moto.moto_server"), allow=("moto.moto_server.werkzeug_app",),
                reason="flask is the optional [server] extra"),
            Ban("moto.ec2", ("moto.ecs", "moto.elb", "moto.elbv2"), reason="load balancers and ECS use the EC2 backend registry"),
            Ban("requests", ("moto.core", "moto.utilities", "moto.moto_api"), reason="the core speaks HTTP through responses/werkzeug"),
            Ban("moto.iam.models", ("moto.sts", "moto.awslambda", "moto.batch"), reason="IAM state is read through the backend registry"),
            Ban("moto.moto_server.utilities", ("moto.moto_server",), reason="it loads flask.testing (the test client)"),
        ),
        namespace_packages=("moto/moto_server", "moto/appmesh/dataclasses", "moto/appmesh/utils"),
    ),
    "localstack": Project(
        name="localstack/localstack",
        roots=("localstack-core",),
        packages=("localstack",),
        bans=(
            Ban("requests", ("localstack.services",), reason="services call out through localstack.utils.http"),
            Ban("localstack.services.s3", ("localstack.services.lambda_", "localstack.services.sqs", "localstack.services.sns"),
                reason="reach S3 through the internal client, not its provider"),
            Ban("localstack.services.stepfunctions", ("localstack.services.lambda_", "localstack.services.events"),
                reason="no service imports another's implementation"),
            Ban("localstack.testing", ("localstack.services", "localstack.aws", "localstack.utils.catalog"),
                reason="test helpers never ship in the runtime"),
            Ban("boto3", ("localstack.services.cloudformation", "localstack.utils.catalog"),
                reason="use localstack.aws.connect"),
            Ban("localstack.services.cloudformation.engine", ("localstack.services.cloudformation.scaffolding",
                "localstack.services.iam.resources", "localstack.services.stepfunctions.test_state"),
                reason="resource code stays below the engine"),
            Ban("localstack.cli", ("localstack.services", "localstack.runtime"), reason="the runtime never loads the CLI"),
            Ban("localstack.utils.catalog", ("localstack.aws.handlers",), reason="building the AWS catalog is slow: inject it"),
        ),
        namespace_packages=("localstack-core/localstack",
                            "localstack-core/localstack/services/cloudformation/scaffolding",
                            "localstack-core/localstack/services/stepfunctions/test_state",
                            "localstack-core/localstack/services/iam/resources",
                            "localstack-core/localstack/utils/catalog"),
    ),
    "otel": Project(
        name="open-telemetry/opentelemetry-python",
        roots=("*/src", "*/*/src"),
        packages=("opentelemetry",),
        bans=(
            Ban("opentelemetry.sdk", ("opentelemetry.trace", "opentelemetry.metrics", "opentelemetry._logs",
                "opentelemetry.context", "opentelemetry.propagate", "opentelemetry.baggage"),
                reason="the API never depends on the SDK"),
            Ban("grpc", ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http"), reason="only the gRPC exporter needs grpc"),
            Ban("requests", ("opentelemetry.sdk", "opentelemetry.propagate", "opentelemetry.trace",
                "opentelemetry.exporter.otlp.proto.grpc"), reason="only HTTP exporters need requests"),
            Ban("opentelemetry.semconv._incubating", ("opentelemetry.sdk", "opentelemetry.exporter.prometheus"),
                reason="incubating conventions stay out of stable packages"),
            Ban("opentelemetry.proto", ("opentelemetry.exporter.otlp.proto.grpc", "opentelemetry.exporter.otlp.proto.http"),
                reason="the exporters encode through opentelemetry.exporter.otlp.proto.common"),
            Ban("typing_extensions", ("opentelemetry.sdk",), reason="not a runtime dependency of the SDK"),
            Ban("opentelemetry.sdk", ("opentelemetry.exporter.otlp.json",), allow=("opentelemetry.exporter.otlp.json.file",),
                reason="the JSON encoders take API types"),
        ),
    ),
}


# ---------------------------------------------------------------------------------------------
# 1. names: costguard's against Python's path finder
# ---------------------------------------------------------------------------------------------


def source_files(project: Project) -> list[Path]:
    files: list[Path] = []
    for root in project.root_paths:
        for package in project.packages:
            top = root / package
            if top.is_dir():
                files.extend(sorted(top.rglob("*.py")))
    return files


_LOADERS = (
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
    (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
)


def find_spec_on(fullname: str, search: list[str]) -> importlib.machinery.ModuleSpec | None:
    """What ``PathFinder`` does for ``fullname`` over ``search``, without importing parents:
    the first portion with a loader wins; else the namespace portions found (PEP 420)."""
    portions: list[str] = []
    for entry in search:
        spec = importlib.machinery.FileFinder(entry, *_LOADERS).find_spec(fullname)
        if spec is None:
            continue
        if spec.loader is not None:
            return spec
        portions.extend(spec.submodule_search_locations or [])
    if portions:
        spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = portions
        return spec
    return None


def python_name(path: Path, roots: list[Path]) -> str | None:
    """The dotted name under which Python's path finder finds ``path`` with ``roots`` on
    sys.path (through regular and namespace packages), or None when it finds another file."""
    for root in roots:
        try:
            relative = path.relative_to(root)
        except ValueError:
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        search = [str(r) for r in roots]
        spec = None
        for index in range(len(parts)):
            spec = find_spec_on(".".join(parts[: index + 1]), search)
            if spec is None:
                return None
            search = list(spec.submodule_search_locations or [])
        if spec is not None and spec.origin and Path(spec.origin).resolve() == path.resolve():
            return ".".join(parts)
        return None
    return None


def check_names(project: Project, files: list[Path]) -> tuple[dict[Path, str], list[str], int]:
    truth: dict[Path, str] = {}
    wrong: list[str] = []
    old_wrong = 0
    for path in files:
        expected = python_name(path, project.root_paths)
        if expected is None:
            wrong.append(f"{path}: Python's path finder does not find this file under its path name")
            continue
        truth[path] = expected
        ours = module_name_for_path(path, ())
        if ours != expected:
            wrong.append(f"{path}: costguard names it {ours}, Python {expected}")
        stem = path.stem
        package = package_of_directory(str(path.parent))
        old = package if stem == "__init__" else (f"{package}.{stem}" if package else stem)
        old_wrong += old != expected
    return truth, wrong, old_wrong


# ---------------------------------------------------------------------------------------------
# 2. the three tools
# ---------------------------------------------------------------------------------------------

Key = tuple[str, int, str]  # (importer module, line, banned module)


def toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def write_costguard_policy(project: Project, folder: Path, *, roots: bool) -> Path:
    """The policy, with ``roots`` (the packaging's import roots, absolute) or without (costguard
    finds the roots from pyproject.toml / setup.cfg markers, as it does for most users)."""
    lines = [f"# costguard policy for {project.name}", "[tool.costguard]", "strict = true"]
    if roots:
        lines.append(f"roots = {toml_list([str(r) for r in project.root_paths])}")
    lines.append("")
    for ban in project.bans:
        lines += ["[[tool.costguard.ban]]", f"module = {json.dumps(ban.module)}", f"within = {toml_list(ban.within)}"]
        if ban.allow:
            lines.append(f"allow = {toml_list(ban.allow)}")
        lines += [f"reason = {json.dumps(ban.reason)}", ""]
    path = folder / f"{project.checkout.name}-costguard{'-roots' if roots else ''}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_costguard_in_tree(project: Project, policy: Path, truth: dict[Path, str]) -> dict[Key, str]:
    """The user's way: the policy appended to the checkout's own top ``pyproject.toml`` (its bytes
    restored afterwards), flake8 run from the checkout on relative paths, no --costguard-config:
    the policy is found by searching upward, past every nested pyproject.toml without one."""
    pyproject = project.checkout / "pyproject.toml"
    original = pyproject.read_bytes() if pyproject.exists() else None
    table = policy.read_text(encoding="utf-8")
    try:
        with open(pyproject, "ab") as handle:
            handle.write(("\n" + table).encode("utf-8"))
        paths = [os.path.relpath(path, project.checkout) for path in lint_paths(project)]
        command = [str(BIN / "flake8"), "--select", "CG", "--disable-noqa", *paths]
        result = subprocess.run(command, capture_output=True, text=True, cwd=project.checkout)
    finally:
        if original is None:
            pyproject.unlink()
        else:
            pyproject.write_bytes(original)
    if result.returncode not in (0, 1):
        raise SystemExit(f"flake8 failed on {project.name} (policy in pyproject.toml): {result.stderr.strip()}")
    found: dict[Key, str] = {}
    for line in result.stdout.splitlines():
        match = _CG.match(line)
        if match is None:
            raise SystemExit(f"unexpected flake8 line: {line}")
        path = (project.checkout / match["path"]).resolve()
        found.setdefault((truth.get(path, match["path"]), int(match["line"]), match["module"]), match["code"])
    return found


def lint_paths(project: Project) -> list[str]:
    return [str(root / package) for root in project.root_paths for package in project.packages if (root / package).is_dir()]


_CG = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>CG\d+) (?P<module>\S+) is banned")


def run_costguard(project: Project, policy: Path, truth: dict[Path, str]) -> tuple[dict[Key, str], str]:
    command = [str(BIN / "flake8"), "--select", "CG", "--disable-noqa", "--costguard-config", str(policy),
               *lint_paths(project)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"flake8 failed on {project.name}: {result.stderr.strip()}")
    found: dict[Key, str] = {}
    for line in result.stdout.splitlines():
        match = _CG.match(line)
        if match is None:
            raise SystemExit(f"unexpected flake8 line: {line}")
        module = truth.get(Path(match["path"]).resolve(), match["path"])
        found.setdefault((module, int(match["line"]), match["module"]), match["code"])
    return found, result.stderr


def ruff_globs(project: Project, prefixes: tuple[str, ...]) -> list[str]:
    """Folders (and the module file) each prefix names, as ruff globs relative to the checkout
    (ruff is run there: an absolute pattern inside ``{a,b}`` matches nothing)."""
    globs = []
    for prefix in prefixes:
        for root in project.root_paths:
            base = root.joinpath(*prefix.split("."))
            relative = base.relative_to(project.checkout)  # ruff joins patterns to the working folder
            if base.is_dir():
                globs.append(f"{relative}/**")
            if base.with_suffix(".py").is_file():
                globs.append(f"{relative}.py")
    return globs


def write_ruff_config(project: Project, folder: Path, index: int | None, *, namespaces: bool = True) -> Path:
    bans = project.bans if index is None else (project.bans[index],)
    namespace_packages = [str(project.checkout / p) for p in project.namespace_packages] if namespaces else []
    lines = [f"namespace-packages = {toml_list(namespace_packages)}", "", "[lint]", 'select = ["TID251"]', "", "[lint.flake8-tidy-imports.banned-api]"]
    for module in dict.fromkeys(ban.module for ban in bans):  # a module banned twice is one key
        reason = next(ban.reason for ban in bans if ban.module == module)
        lines.append(f"{json.dumps(module)}.msg = {json.dumps(reason)}")
    if index is not None:
        ban = project.bans[index]
        within = ruff_globs(project, ban.within)
        lines += ["", "[lint.per-file-ignores]", f"{json.dumps('!{' + ','.join(within) + '}')} = [\"TID251\"]"]
        allow = ruff_globs(project, (*ban.allow, ban.module))
        if allow:
            lines.append(f"{json.dumps('{' + ','.join(allow) + '}')} = [\"TID251\"]")
    path = folder / f"{project.checkout.name}-ruff-{'all' if index is None else index}{'' if namespaces else '-nons'}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_RUFF_MODULE = re.compile(r"^`(?P<module>[^`]+)` is banned")


def run_ruff(project: Project, folder: Path, truth: dict[Path, str], *, namespaces: bool = True) -> dict[Key, str]:
    found: dict[Key, str] = {}
    for index in range(len(project.bans)):
        config = write_ruff_config(project, folder, index, namespaces=namespaces)
        command = [str(BIN / "ruff"), "check", "--no-cache", "--ignore-noqa", "--config", str(config), "--output-format", "json",
                   "--exit-zero", *lint_paths(project)]
        result = subprocess.run(command, capture_output=True, text=True, cwd=project.checkout)
        if result.returncode != 0:
            raise SystemExit(f"ruff failed on {project.name}: {result.stderr.strip()}")
        for item in json.loads(result.stdout):
            match = _RUFF_MODULE.match(item["message"])
            module = match["module"] if match else item["message"]
            importer = truth.get(Path(item["filename"]).resolve(), item["filename"])
            found.setdefault((importer, item["location"]["row"], module), "TID251")
    return found


def write_importlinter_config(project: Project, folder: Path, unknown: set[str]) -> Path:
    """One ``forbidden`` contract per ban; modules grimp says do not exist are left out (a
    contract left with no source or no forbidden module is left out too)."""
    lines = ["[importlinter]", "root_packages =", *(f"    {p}" for p in project.packages),
             "include_external_packages = True", ""]
    for index, ban in enumerate(project.bans):
        sources = [w for w in ban.within if w not in unknown]
        if not sources or ban.module in unknown:
            continue
        lines += [f"[importlinter:contract:ban{index}]", f"name = ban {index}: {ban.module}", "type = forbidden",
                  "source_modules =", *(f"    {w}" for w in sources),
                  "forbidden_modules =", f"    {ban.module}", "allow_indirect_imports = True"]
        allow = [a for a in ban.allow if a not in unknown]
        if allow:
            lines += ["ignore_imports =", *(f"    {a}{s} -> {ban.module}{t}" for a in allow for s in ("", ".**")
                                            for t in ("", ".**"))]
            lines.append("unmatched_ignore_imports_alerting = none")
        lines.append("")
    path = folder / f"{project.checkout.name}-importlinter.ini"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


_IL_CONTRACT = re.compile(r"^ban (?P<index>\d+): ")
_IL_LINE = re.compile(r"^-\s+(?P<importer>\S+) -> (?P<imported>\S+) \((?P<lines>l\.\d+(?:, l\.\d+)*)\)")
_IL_MISSING = re.compile(r"Module '(?P<module>[^']+)' does not exist")


def run_importlinter(project: Project, folder: Path) -> tuple[dict[Key, str] | None, str]:
    """import-linter's findings, and a line saying what it could not check."""
    # COLUMNS: import-linter's report is wrapped to the terminal width otherwise
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(r) for r in project.root_paths), COLUMNS="1000")
    unknown: set[str] = set()
    while True:
        config = write_importlinter_config(project, folder, unknown)
        command = [str(BIN / "lint-imports"), "--no-cache", str(config)]
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=project.root_paths[0])
        text = result.stdout + result.stderr
        missing = _IL_MISSING.search(text)
        if missing is None or missing["module"] in unknown:
            break
        unknown.add(missing["module"])
    if "Contracts:" not in text:
        return None, (text.strip().splitlines() or [f"exit {result.returncode}"])[-1]
    found: dict[Key, str] = {}
    current: Ban | None = None
    for line in text.splitlines():
        contract = _IL_CONTRACT.match(line.strip())
        if contract is not None:
            current = project.bans[int(contract["index"])]
            continue
        match = _IL_LINE.match(line.strip())
        if match is not None and current is not None:
            for number in re.findall(r"\d+", match["lines"]):
                found.setdefault((match["importer"], int(number), current.module), "forbidden")
    summary = next((line.strip() for line in text.splitlines() if line.startswith("Contracts:")), "")
    if unknown:
        summary += f"; modules grimp does not know (left out of the contracts): {', '.join(sorted(unknown))}"
    return found, summary


# ---------------------------------------------------------------------------------------------
# 3. differences
# ---------------------------------------------------------------------------------------------


def source_line(module_files: dict[str, Path], module: str, line: int) -> str:
    path = module_files.get(module)
    if path is None:
        return "?"
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else "?"


def compare(label: str, ours: dict[Key, str], theirs: dict[Key, str], module_files: dict[str, Path], details: bool) -> None:
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    print(f"  costguard vs {label}: both {len(set(ours) & set(theirs))}, costguard only {len(only_ours)}, "
          f"{label} only {len(only_theirs)}")
    if not details:
        return
    for who, keys, codes in (("costguard only", only_ours, ours), (f"{label} only", only_theirs, theirs)):
        for module, line, banned in keys:
            print(f"    {who}: {module}:{line} [{codes[(module, line, banned)]} {banned}] "
                  f"{source_line(module_files, module, line)[:110]}")


# ---------------------------------------------------------------------------------------------
# 4. timing
# ---------------------------------------------------------------------------------------------


def time_tools(project: Project, policy: Path, folder: Path, runs: int) -> dict[str, float]:
    ruff_config = write_ruff_config(project, folder, None)
    empty = folder / f"{project.checkout.name}-costguard-empty.toml"
    empty.write_text("[tool.costguard]\n", encoding="utf-8")
    commands = {
        "flake8 --select CG": [str(BIN / "flake8"), "--select", "CG", "--costguard-config", str(policy), *lint_paths(project)],
        # the same flake8 run with a policy of no bans: flake8's own cost (it runs pyflakes and
        # pycodestyle whatever --select says) plus loading the plugin; the difference is costguard's work
        "flake8 --select CG, no bans": [str(BIN / "flake8"), "--select", "CG", "--costguard-config", str(empty),
                                        *lint_paths(project)],
        "ruff --select TID251": [str(BIN / "ruff"), "check", "--no-cache", "--config", str(ruff_config), "--exit-zero",
                                 "--quiet", *lint_paths(project)],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(runs):
        order = list(commands)[run % len(commands):] + list(commands)[: run % len(commands)]  # rotated
        for name in order:
            start = time.perf_counter()
            result = subprocess.run(commands[name], capture_output=True, text=True)
            samples[name].append(time.perf_counter() - start)
            if result.returncode not in (0, 1):
                raise SystemExit(f"{name} failed on {project.name}: {result.stderr.strip()[:500]}")
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for key in PROJECTS:
        parser.add_argument(f"--{key}", type=Path, metavar="CHECKOUT", help=f"a checkout of {PROJECTS[key].name}")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per tool (0: no timing)")
    parser.add_argument("--details", action="store_true", help="print every difference")
    parser.add_argument("--no-importlinter", action="store_true")
    parser.add_argument("--in-tree", action="store_true",
                        help="also run with the policy appended to each checkout's pyproject.toml (restored after)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the generated configs to DIR and keep them")
    args = parser.parse_args(argv)
    chosen = [key for key in PROJECTS if getattr(args, key) is not None]
    if not chosen:
        parser.error("give at least one checkout (--moto, --localstack, --otel)")
    table: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            folder = args.keep.resolve()
        for key in chosen:
            project = PROJECTS[key]
            project.checkout = getattr(args, key).resolve()
            if not project.checkout.is_dir():
                parser.error(f"--{key}: {project.checkout} is not a folder")
            project.root_paths = glob_roots(project.checkout, project.roots)
            files = source_files(project)
            truth, wrong, old_wrong = check_names(project, files)
            module_files = {name: path for path, name in truth.items()}
            print(f"{project.name} at {project.checkout}: {len(files)} files under {len(project.root_paths)} import root(s)",
                  flush=True)
            print(f"  names: {len(files) - len(wrong)} of {len(files)} as Python's path finder gives them "
                  f"(the __init__.py walk alone misnamed {old_wrong})")
            for problem in wrong:
                print(f"    {problem}")
            policy = write_costguard_policy(project, folder, roots=False)
            ours, warnings = run_costguard(project, policy, truth)
            rooted, rooted_warnings = run_costguard(project, write_costguard_policy(project, folder, roots=True), truth)
            for text in {warnings.strip(), rooted_warnings.strip()} - {""}:
                print("  costguard stderr: " + text.replace("\n", "\n    "))
            per_ban = {ban.module: sum(1 for key in ours if key[2] == ban.module) for ban in project.bans}
            print("  costguard findings per ban: " + ", ".join(f"{m} {n}" for m, n in per_ban.items()))
            compare("costguard with roots", ours, rooted, module_files, args.details)
            in_tree: dict[Key, str] | None = None
            if args.in_tree:
                in_tree = run_costguard_in_tree(project, policy, truth)
                compare("costguard, policy in pyproject.toml", ours, in_tree, module_files, args.details)
            ruff = run_ruff(project, folder, truth)
            compare("ruff", ours, ruff, module_files, args.details)
            ruff_plain = run_ruff(project, folder, truth, namespaces=False)
            compare("ruff without namespace-packages", ours, ruff_plain, module_files, args.details)
            il_count = "-"
            if not args.no_importlinter:
                il, summary = run_importlinter(project, folder)
                if il is None:
                    print(f"  import-linter could not run: {summary}")
                    il_count = "n/a"
                else:
                    print(f"  import-linter: {summary}")
                    compare("import-linter", ours, il, module_files, args.details)
                    il_count = str(len(il))
            row = (project.name, str(len(files)), str(len(wrong)), str(old_wrong), str(len(project.bans)),
                   str(len(ours)), str(len(rooted)), str(len(ruff)), str(len(ruff_plain)), il_count)
            if args.runs:
                medians = time_tools(project, policy, folder, args.runs)
                print("  timing (median of %d runs): " % args.runs + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items()),
                      flush=True)
                row += tuple(f"{value:.2f}" for value in medians.values())
            table.append(row)
    header = ("project", "files", "misnamed", "misnamed by __init__ walk", "bans", "costguard", "costguard (roots)",
              "ruff TID251", "ruff (no namespace-packages)",
              "import-linter")
    if args.runs:
        header += (f"flake8 CG s (median of {args.runs})", "flake8 CG, no bans s", "ruff s")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in table:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
