# path: app/services/api/uses_helper.py
# A guarded module importing an allowed helper that itself imports the banned module is not
# flagged here (the helper is flagged where it lives, if it is guarded).
from app.scripts import s3_helper
from app.services.api.athena import backfill

s3_helper.read("key")
backfill.run()
