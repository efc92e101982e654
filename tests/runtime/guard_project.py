"""A throwaway project tree for the runtime guard's tests: package ``acme`` with its own policy.

``acme.svc.store.raw`` (a package, protected by ``runtime_guard.protect``) is banned within
``acme.svc`` and ``acme.jobs``; ``acme.svc.cloud`` is banned transitively; ``acme.scripts`` may
use both.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

BANNED = "acme.svc.store.raw"
REASON = "each call is a billed GET"
USE_INSTEAD = "acme.svc.store.index"
# A banned package that does not call protect(): only the hooks stand between it and guarded code.
BARE = "acme.svc.bare"
BARE_REASON = "a billed call with no protect() inside"

POLICY = f"""
[[tool.costguard.ban]]
module = "{BANNED}"
within = ["acme.svc", "acme.jobs"]
reason = "{REASON}"
use_instead = "{USE_INSTEAD}"

[[tool.costguard.ban]]
module = "acme.svc.cloud"
within = ["acme.svc", "acme.jobs"]
reason = "a billed cloud call"
transitive = true

[[tool.costguard.ban]]
module = "{BARE}"
within = ["acme.svc", "acme.jobs"]
reason = "{BARE_REASON}"
use_instead = "{USE_INSTEAD}"

[tool.costguard.runtime]
mode = "{{mode}}"
"""

# Guarded modules, one per import form: acme/jobs/form_<name>.py
FORMS = {
    "import": "import acme.svc.store.raw",
    "import_as": "import acme.svc.store.raw as r",
    "from_pkg": "from acme.svc.store import raw",
    "from_mod": "from acme.svc.store.raw import read",
    "star": "from acme.svc.store import *",  # acme.svc.store.__all__ names raw
    "submodule": "import acme.svc.store.raw.fast",
    "in_function": "def load():\n    import acme.svc.store.raw\n    return acme.svc.store.raw\n\nload()",
    "import_module": "import importlib\nimportlib.import_module('acme.svc.store.raw')",
    "import_module_relative": "import importlib\nimportlib.import_module('.raw', package='acme.svc.store')",
    "dunder_import": "__import__('acme.svc.store.raw')",
    "dunder_import_fromlist": "__import__('acme.svc.store', fromlist=['raw'])",
    "importlib_dunder_import": "import importlib\nimportlib.__import__('acme.svc.store.raw')",
    "importlib_dunder_import_fromlist": "import importlib\nimportlib.__import__('acme.svc.store', globals(), None, ['raw'])",
    "resolve_name": "import pkgutil\npkgutil.resolve_name('acme.svc.store.raw:read')",
    "run_module": "import runpy\nrunpy.run_module('acme.svc.store.raw')",
    "lazy_loader": textwrap.dedent(
        """\
        import importlib.util, sys
        spec = importlib.util.find_spec('acme.svc.store.raw')
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = importlib.util.module_from_spec(spec)
        sys.modules['acme.svc.store.raw'] = module
        loader.exec_module(module)
        module.read
        """
    ),
    "reload": "import importlib, sys\nimportlib.reload(sys.modules['acme.svc.store.raw'])",
}

FORMS_LAZY_BARE = textwrap.dedent(
    """\
    import importlib.util, sys
    spec = importlib.util.find_spec('acme.svc.bare')
    module = importlib.util.module_from_spec(spec)
    sys.modules['acme.svc.bare'] = module
    spec.loader.exec_module(module)
    """
)

# Loads of the banned file that only protect() sees (no import hook involved).
BY_PATH = {
    "spec_from_file_location": textwrap.dedent(
        """\
        import importlib.util, pathlib
        path = pathlib.Path(__file__).parents[1] / 'svc' / 'store' / 'raw' / '__init__.py'
        spec = importlib.util.spec_from_file_location('loose_raw', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        """
    ),
    "run_path": textwrap.dedent(
        """\
        import pathlib, runpy
        runpy.run_path(str(pathlib.Path(__file__).parents[1] / 'svc' / 'store' / 'raw' / '__init__.py'))
        """
    ),
    "run_path_main": textwrap.dedent(
        """\
        import pathlib, runpy
        runpy.run_path(str(pathlib.Path(__file__).parents[1] / 'svc' / 'store' / 'raw' / '__init__.py'), run_name='__main__')
        """
    ),
    "run_module_main": "import runpy\nrunpy.run_module('acme.svc.store.raw', run_name='__main__', alter_sys=True)",
}

# Executions of the unprotected banned package's files by path (item 4): only the exec audit
# hook sees these. ``SVC`` is the folder of acme/svc.
_SVC = "import pathlib\nSVC = pathlib.Path(__file__).parents[1] / 'svc'\n"
BARE_BY_PATH = {
    "spec_from_file_location": _SVC + textwrap.dedent(
        """\
        import importlib.util
        spec = importlib.util.spec_from_file_location('loose_bare', SVC / 'bare' / '__init__.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        """
    ),
    "submodule_by_path": _SVC + textwrap.dedent(
        """\
        import importlib.util
        spec = importlib.util.spec_from_file_location('loose_sub', SVC / 'bare' / 'sub.py')
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        """
    ),
    "run_path": _SVC + "import runpy\nrunpy.run_path(str(SVC / 'bare' / '__init__.py'))\n",
    "run_path_main": _SVC + "import runpy\nrunpy.run_path(str(SVC / 'bare' / '__init__.py'), run_name='__main__')\n",
    "run_path_folder": _SVC + "import runpy\nrunpy.run_path(str(SVC / 'bare'))\n",  # bare/__main__.py
    "exec_cached_spec": textwrap.dedent(
        """\
        import importlib.util, sys
        spec = sys.modules['acme.svc.bare'].__spec__  # loaded before by an allowed importer
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        """
    ),
    "pkgutil_loader": _SVC + textwrap.dedent(
        """\
        import importlib.util, pkgutil
        for info in pkgutil.iter_modules([str(SVC)]):
            if info.name == 'bare':
                spec = info.module_finder.find_spec(info.name)
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
        """
    ),
    "exec_compiled_source": _SVC + textwrap.dedent(
        """\
        path = SVC / 'bare' / '__init__.py'
        exec(compile(path.read_text(), str(path), 'exec'), {'__name__': 'loose_bare'})
        """
    ),
    "zipimporter": textwrap.dedent(
        """\
        import os, zipimport
        archive = os.environ['ACME_ZIP']  # a zip of the project's acme/ folder
        spec = zipimport.zipimporter(os.path.join(archive, 'acme', 'svc')).find_spec('bare')
        import importlib.util
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        """
    ),
}

FILES = {
    "acme/__init__.py": "",
    "acme/svc/__init__.py": "",
    "acme/svc/store/__init__.py": "__all__ = ['raw', 'index']\n",
    "acme/svc/store/raw/__init__.py": textwrap.dedent(
        """\
        from runtime_guard import protect

        guarded = protect(__name__)


        @guarded
        def read(key="k"):
            return "object:" + key


        @guarded
        def read_many(keys):
            return [read(key) for key in keys]
        """
    ),
    "acme/svc/store/raw/fast.py": "from acme.svc.store.raw import read\n\ndef read_fast(key):\n    return read(key)\n",
    "acme/svc/store/raw_utils.py": "def helper():\n    return 'prefix only'\n",
    "acme/svc/store/index.py": "def lookup(key):\n    return 'indexed:' + key\n",
    "acme/svc/store/rel_pkg.py": "from . import raw\n",
    "acme/svc/store/rel_mod.py": "from .raw import read\n",
    "acme/svc/cloud.py": "def call():\n    return 'cloud'\n",
    "acme/svc/common/__init__.py": "",
    "acme/svc/common/h.py": "from acme.svc.store import raw\n",
    "acme/jobs/__init__.py": "",
    "acme/jobs/x.py": "import acme.svc.common.h\n",
    "acme/jobs/clean.py": "from acme.svc.store import index\nimport json, email.mime.text, iniconfig\n",
    "acme/jobs/prefix.py": "from acme.svc.store import raw_utils\nimport acme.svc.store.raw_utils\n",
    "acme/jobs/through_script.py": "import acme.scripts.load\n",
    "acme/jobs/through_script_cloud.py": "import acme.scripts.load_cloud\n",
    "acme/jobs/calls_read.py": "import acme.scripts.load\n\ndef use():\n    return acme.scripts.load.raw.read('x')\n",
    "acme/jobs/lazy_use.py": "def use():\n    import acme.svc.store.raw\n    return acme.svc.store.raw\n",
    "acme/svc/bare/__init__.py": "VALUE = 'bare'\n",
    "acme/svc/bare/__main__.py": "VALUE = 'bare main'\n",
    "acme/svc/bare/sub.py": "VALUE = 'bare sub'\n",
    "acme/jobs/bare_import.py": "import acme.svc.bare\n",
    "acme/jobs/bare_from.py": "from acme.svc import bare\n",
    "acme/jobs/bare_import_module.py": "import importlib\nimportlib.import_module('acme.svc.bare')\n",
    "acme/jobs/bare_find_spec.py": FORMS_LAZY_BARE,
    "acme/scripts/load_bare.py": "import acme.svc.bare\n\ndef run_by_path(path):\n    import runpy\n    return runpy.run_path(path)\n",
    "acme/scripts/__init__.py": "",
    "acme/scripts/load.py": "from acme.svc.store import raw\n\ndef read_twice():\n    return raw.read_many(['a', 'b'])\n",
    "acme/scripts/load_cloud.py": "import acme.svc.cloud\n",
    "acme/scripts/uses_helper.py": "import acme.svc.common.h\n",
    "acme/scripts/exits.py": "import sys\nprint('argv=' + repr(sys.argv[1:]))\nsys.exit(int(sys.argv[1]))\n",
    "acme/scripts/mp_entry.py": textwrap.dedent(
        """\
        def guarded_import(queue):
            try:
                import acme.jobs.form_import
            except ImportError as exc:
                queue.put(exc)
            else:
                queue.put("ok")
        """
    ),
}


def build_project(root: Path, mode: str = "raise") -> Path:
    """Write the tree under ``root`` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(POLICY.format(mode=mode), encoding="utf-8")
    for name, body in BARE_BY_PATH.items():
        (root / "acme" / "jobs").mkdir(parents=True, exist_ok=True)
        (root / "acme" / "jobs" / f"bare_path_{name}.py").write_text(body, encoding="utf-8")
    files = dict(FILES)
    for name, body in {**FORMS, **BY_PATH}.items():
        files[f"acme/jobs/form_{name}.py"] = body + "\n"
    for relative, body in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return root
