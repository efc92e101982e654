"""A job whose AWS requests are known, for ``costguard meter`` (README): against its own moto server.

One bucket, one object put, three reads, one listing. The moto server runs in this process on a
free port of 127.0.0.1, so the example needs no AWS account and no network.
"""

import logging

import boto3
from moto.server import ThreadedMotoServer

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's access log

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
try:
    s3 = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="lake")
    s3.put_object(Bucket="lake", Key="a.json", Body=b"{}")
    for _ in range(3):
        s3.get_object(Bucket="lake", Key="a.json")["Body"].read()
    s3.list_objects_v2(Bucket="lake")
finally:
    server.stop()
