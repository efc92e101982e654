# path: app/services/api/constant_names.py
# CG102: module names built only from constants, and the other standard-library importers.
import importlib
import importlib.util
import pkgutil
import runpy
from importlib import import_module as load
from pkgutil import resolve_name

ATHENA = "app.services.api.athena"
READER = ATHENA + ".s3_direct_read"
SPLIT: str = "app.services.api.athena.s3_direct" "_read"
FROM_PIECES = f"{ATHENA}.s3_{'direct'}_read"

importlib.import_module("app.services.api.athena" + ".s3_direct_read")  # expect: CG102:25
importlib.import_module("app.services.api.athena.s3_direct" + "_read")  # expect: CG102:25
importlib.import_module(("app.services.api.athena." "s3_direct_read"))  # expect: CG102:26
importlib.import_module("app.services.api.athena.s3\x5fdirect_read")  # expect: CG102:25
importlib.import_module(f"app.services.api.athena.{'s3_direct_read'}")  # expect: CG102:25
importlib.import_module(READER)  # expect: CG102:25
load(SPLIT)  # expect: CG102:6
load(FROM_PIECES)  # expect: CG102:6
load(ATHENA + ".s3_direct_read.client")  # expect: CG102:6
load(f"{ATHENA}.s3_direct_read")  # expect: CG102:6
__import__(ATHENA, fromlist=["lookup_index", "s3_direct" + "_read"])  # expect: CG102:46
__import__(READER)  # expect: CG102:12
pkgutil.resolve_name("app.services.api.athena.s3_direct_read:get_object")  # expect: CG102:22
pkgutil.resolve_name("app.services.api.athena.s3_direct_read.get_object")  # expect: CG102:22
pkgutil.resolve_name("app.services.api.athena:s3_direct_read.get_object")  # expect: CG102:22
resolve_name(READER + ":get_object")  # expect: CG102:14
resolve_name(name=READER)  # expect: CG102:19
runpy.run_module("app.services.api.athena.s3_direct_read")  # expect: CG102:18
runpy.run_module(mod_name=READER, run_name="__main__")  # expect: CG102:27
importlib.util.find_spec("app.services.api.athena.s3_direct_read.client")  # expect: CG102:26


def handler():
    return importlib.import_module(READER + ".client")  # expect: CG102:36


# Not imports of the banned module:
pkgutil.resolve_name("app.services.api.athena:lookup_index")
pkgutil.resolve_name("app.services.api.athena.s3_direct_read_utils:get")
pkgutil.resolve_name("app.services.api.athena.s3_direct_read:a:b")  # not a valid name: imports nothing
runpy.run_module("app.services.api.athena.lookup_index")
runpy.run_path("app/services/api/athena/s3_direct_read.py")  # a path (runtime guard's business)
importlib.util.find_spec("app.services.api.athena.s3_direct_read")  # finds it, does not import it
importlib.import_module(ATHENA + ".lookup_index")
importlib.import_module(f"{ATHENA}.s3_direct_read{'_utils'}")
importlib.import_module(f"{ATHENA!r}.s3_direct_read")  # !r adds quotes: not a module name
importlib.import_module("%s.s3_direct_read" % ATHENA)  # computed: out of reach
print(READER, "s3_direct" + "_read")
