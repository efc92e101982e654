# path: app/services/api/import_statements.py
# CG101: every absolute import statement form that names the banned module.
import app.services.api.athena.s3_direct_read  # expect: CG101:8
import app.services.api.athena.s3_direct_read as direct  # expect: CG101:8
import os, app.services.api.athena.s3_direct_read  # expect: CG101:12
from app.services.api.athena import s3_direct_read  # expect: CG101:37
from app.services.api.athena import s3_direct_read as reader  # expect: CG101:37
from app.services.api.athena import (
    lookup_index,
    s3_direct_read,  # expect: CG101:5
)
from app.services.api.athena.s3_direct_read import get_object  # expect: CG101:6
from app.services.api.athena.s3_direct_read import *  # expect: CG101:6
import app.services.api.athena.s3_direct_read.client  # expect: CG101:8
from app.services.api.athena.s3_direct_read.client import get  # expect: CG101:6
from app.services.api.athena import \
    s3_direct_read  # expect: CG101:5
import os; import app.services.api.athena.s3_direct_read  # expect: CG101:19


def handler():
    import app.services.api.athena.s3_direct_read  # expect: CG101:12


class Service:
    def read(self):
        from app.services.api.athena import s3_direct_read  # expect: CG101:45
        return s3_direct_read


try:
    from app.services.api.athena import s3_direct_read  # expect: CG101:41
except ImportError:
    s3_direct_read = None

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.services.api.athena.s3_direct_read import Client  # expect: CG101:10
