"""The lookup index adapters: the contract (:mod:`.base`), SQLite (:mod:`.sqlite`, embedded
default), DynamoDB (:mod:`.dynamodb`, production) and the item keys (:mod:`.keys`).

Import the backend modules directly (``secfilings.index.sqlite``): this package imports nothing,
so a folder lake never loads boto3 and an S3 lake never opens SQLite.
"""
