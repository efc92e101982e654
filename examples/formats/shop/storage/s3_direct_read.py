def get_object(key):
    raise NotImplementedError("a billed S3 GET")
