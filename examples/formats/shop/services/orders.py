import importlib

from shop.storage import s3_direct_read


def load(key):
    reader = importlib.import_module("shop.storage.s3_direct_read")
    return reader.get_object(key)
