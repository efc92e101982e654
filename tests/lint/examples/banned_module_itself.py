# path: app/services/api/athena/s3_direct_read/__init__.py
# The banned module and its submodules never violate their own ban.
from . import client
from app.services.api.athena.s3_direct_read import client as again
import app.services.api.athena.s3_direct_read.client
