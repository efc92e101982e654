# path: app/workers/form4_parser/worker_relative.py
# A worker reaching the services package with three dots; the second ban applies to workers only.
from ...services.api.athena import s3_direct_read  # expect: CG101:36
from ...services.api.athena.s3_direct_read import get_object  # expect: CG101:6
from . import s3_direct_read as local_reader
from .s3_direct_read import parse
import app.vendor.paid_api  # expect: CG101:8
from app.vendor import paid_api  # expect: CG101:24
