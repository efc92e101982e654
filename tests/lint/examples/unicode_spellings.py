# path: app/workers/unicode_spellings.py
# Python reads identifiers NFKC-normalized: these spellings import the banned module too.
import app.services.api.athena.ｓ3_direct_read  # expect: CG101:8
from app.services.api.athena import ｓ３_direct_read  # expect: CG101:37
from app.services.api.ａthena import s3_direct_read  # expect: CG101:37
from app.services.api.athena.s３_direct_read import get  # expect: CG101:6
from app.services.api import athena as api_athena

api_athena.s3_dｉrect_read.get()  # expect: CG103:1
# Not imports of it: a look-alike letter that does not normalize (Cyrillic і), and a string
# (importlib does not normalize module names).
from app.services.api.athena import s3_dіrect_read
import importlib
importlib.import_module("app.services.api.athena.ｓ3_direct_read")
