# path: app/scripts/outside_within.py
# Scripts are not within the ban: they may read S3 directly.
import app.services.api.athena.s3_direct_read
from app.services.api.athena import s3_direct_read
import importlib

importlib.import_module("app.services.api.athena.s3_direct_read")
