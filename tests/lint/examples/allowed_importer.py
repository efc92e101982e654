# path: app/services/api/athena/backfill.py
# Listed in allow: exempt.
from . import s3_direct_read
from .s3_direct_read import get_object
