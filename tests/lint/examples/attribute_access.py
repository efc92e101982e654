# path: app/services/api/attribute_access.py
# CG103: attribute access that reaches the banned module through an allowed parent import.
import app.services.api.athena
from app.services.api import athena
from app.services import api as services_api

athena.s3_direct_read.get_object("key")  # expect: CG103:1
app.services.api.athena.s3_direct_read.get_object("key")  # expect: CG103:1
services_api.athena.s3_direct_read.list_objects("prefix")  # expect: CG103:1
reader = athena.s3_direct_read  # expect: CG103:10


def fetch(key):
    return athena.s3_direct_read.get_object(key)  # expect: CG103:12


def shadowed(athena):
    return athena.s3_direct_read.get_object("key")


class Holder:
    s3_direct_read = None

    def use(self):
        return self.s3_direct_read.get_object("key")


athena.lookup_index.get("key")
athena.s3_direct_read_utils.helper()
