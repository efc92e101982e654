# path: app/services/api/athena/relative_imports.py
# CG101: relative imports are resolved against the file's own package (app.services.api.athena).
from . import s3_direct_read  # expect: CG101:15
from . import lookup_index, s3_direct_read  # expect: CG101:29
from .s3_direct_read import get_object  # expect: CG101:6
from .s3_direct_read.client import get  # expect: CG101:6
from ..athena import s3_direct_read  # expect: CG101:22
from ..athena.s3_direct_read import get_object  # expect: CG101:6
from ...api.athena import s3_direct_read as reader  # expect: CG101:27
from .lookup_index import s3_direct_read_fallback
from . import lookup_index
