# path: app/scripts/constant_names_unguarded.py
# Outside `within`: the same calls are allowed.
import importlib
import pkgutil
import runpy

READER = "app.services.api.athena" + ".s3_direct_read"
importlib.import_module(READER)
pkgutil.resolve_name(READER + ":get_object")
runpy.run_module(READER)
