# path: app/services/api/dynamic_imports.py
# CG102: dynamic imports whose module name is a literal string.
import importlib
import importlib as il
from importlib import import_module
from importlib import import_module as load

importlib.import_module("app.services.api.athena.s3_direct_read")  # expect: CG102:25
il.import_module("app.services.api.athena.s3_direct_read.client")  # expect: CG102:18
import_module("app.services.api.athena.s3_direct_read")  # expect: CG102:15
load(name="app.services.api.athena.s3_direct_read")  # expect: CG102:11
import_module(".athena.s3_direct_read", package=__package__)  # expect: CG102:15
import_module(".athena.s3_direct_read", __package__)  # expect: CG102:15
import_module("..api.athena.s3_direct_read", package="app.services.api")  # expect: CG102:15
import_module(".s3_direct_read", package="app.services.api.athena")  # expect: CG102:15
importlib.import_module(
    "app.services.api.athena."  # expect: CG102:5
    "s3_direct_read"
)
__import__("app.services.api.athena.s3_direct_read")  # expect: CG102:12
__import__("app.services.api.athena", fromlist=["s3_direct_read"])  # expect: CG102:49
__import__("app.services.api.athena", globals(), locals(), ["lookup_index", "s3_direct_read"])  # expect: CG102:77
__import__("athena.s3_direct_read", globals(), None, [], 1)  # expect: CG102:12
importlib.__import__("app.services.api.athena.s3_direct_read")  # expect: CG102:22
importlib.__import__("app.services.api.athena", fromlist=("s3_direct_read",))  # expect: CG102:59


def later():
    return importlib.import_module("app.services.api.athena.s3_direct_read")  # expect: CG102:36


# Not dynamic imports of the banned module:
importlib.import_module("app.services.api.athena.s3_direct_read_utils")
importlib.import_module(".s3_direct_read", package="app.workers.form4_parser")
print("app.services.api.athena.s3_direct_read")
importlib.import_module(name_from_config)
__import__("app.services.api.athena", fromlist=["lookup_index"])
