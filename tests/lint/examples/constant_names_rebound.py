# path: app/workers/constant_names_rebound.py
# Names that are not constants: rebound, shadowed, computed, from elsewhere; never flagged.
import importlib
from app.settings import READER_MODULE

REBOUND = "app.services.api.athena.s3_direct_read"
REBOUND = "app.services.api.athena.lookup_index"
AUGMENTED = "app.services.api.athena"
AUGMENTED += ".s3_direct_read"
GLOBAL_SET = "app.services.api.athena.s3_direct_read"
DELETED = "app.services.api.athena.s3_direct_read"
del DELETED
LOOPED = "app.services.api.athena.s3_direct_read"
for LOOPED in ["app.services.api.athena.lookup_index"]:
    pass
PAIR = OTHER = "app.services.api.athena.s3_direct_read"
CALLED = str("app.services.api.athena.s3_direct_read")


def reset():
    global GLOBAL_SET
    GLOBAL_SET = "app.services.api.athena.lookup_index"


def shadowed(READER="app.services.api.athena.lookup_index"):
    return importlib.import_module(READER)


class Holder:
    NAME = "app.services.api.athena.s3_direct_read"


importlib.import_module(REBOUND)
importlib.import_module(AUGMENTED)
importlib.import_module(GLOBAL_SET)
importlib.import_module(LOOPED)
importlib.import_module(PAIR)
importlib.import_module(CALLED)
importlib.import_module(READER_MODULE)
importlib.import_module(Holder.NAME)
importlib.import_module(".".join(["app", "services", "api", "athena", "s3_direct_read"]))
getattr(importlib, "import_module")("app.services.api.athena.s3_direct_read")
exec("import app.services.api.athena.s3_direct_read")
