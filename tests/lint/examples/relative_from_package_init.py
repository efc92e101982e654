# path: app/services/api/athena/__init__.py
# In a package's __init__.py, "." is the package itself.
from . import s3_direct_read  # expect: CG101:15
from .s3_direct_read import get_object  # expect: CG101:6
