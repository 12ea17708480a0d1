#!/usr/bin/env python3
"""Signs requests with botocore's SigV4Auth / S3SigV4Auth, as the reference for ldedge's signer.

Input (argv[1]): a JSON list of {method, url, headers: [[name, value]...], bodyBase64,
service, region, accessKeyId, secretAccessKey, sessionToken?, timestamp (YYYYmmddTHHMMSSZ)}.
With "presignExpires": N the request is presigned instead (S3SigV4QueryAuth) and
the X-Amz-Signature query value is returned.
Output (stdout): a JSON list of Authorization header (or presigned signature) values, in order.
"""

import base64
import datetime
import json
import sys

import botocore.auth
from urllib.parse import parse_qs, urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(spec):
    moment = datetime.datetime.strptime(spec["timestamp"], "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda: moment  # fixed clock for the comparison
    request = AWSRequest(method=spec["method"], url=spec["url"], data=base64.b64decode(spec["bodyBase64"]))
    for name, value in spec["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    credentials = Credentials(spec["accessKeyId"], spec["secretAccessKey"], spec.get("sessionToken"))
    if spec.get("presignExpires"):
        S3SigV4QueryAuth(credentials, spec["service"], spec["region"], expires=spec["presignExpires"]).add_auth(request)
        return parse_qs(urlsplit(request.url).query)["X-Amz-Signature"][0]
    signer_type = S3SigV4Auth if spec["service"] == "s3" else SigV4Auth
    signer_type(credentials, spec["service"], spec["region"]).add_auth(request)
    return request.headers["Authorization"]


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        specs = json.load(handle)
    json.dump([sign(spec) for spec in specs], sys.stdout)


if __name__ == "__main__":
    main()
