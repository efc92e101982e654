# path: app/services/api/never_flagged.py
"""Never flagged: names in strings, comments and docstrings, look-alike modules, local names.

import app.services.api.athena.s3_direct_read
"""
# import app.services.api.athena.s3_direct_read
import app.services.api.athena.s3_direct_read_utils
import app.services.api.athena.s3_direct_readers
from app.services.api.athena import s3_direct_read_utils
from app.workers.form4_parser import s3_direct_read
from app.workers.form4_parser.s3_direct_read import parse
import app.services.api.athena.lookup_index
from app.services.api.athena import lookup_index
from app.vendor import paid_api

QUERY = "select * from app.services.api.athena.s3_direct_read"
s3_direct_read = lookup_index


def handler(s3_direct_read):
    s3_direct_read.get_object("key")
    local = s3_direct_read
    return local


class Config:
    s3_direct_read = False


Config().s3_direct_read
