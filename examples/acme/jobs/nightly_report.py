import importlib

from acme.svc.store import raw
from ..svc.store.raw import read_object


def load(key):
    module = importlib.import_module("acme.svc.store.raw")
    return module.read_object(key)
