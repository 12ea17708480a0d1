#!/usr/bin/env python3
"""Verifies SigV4A signatures made by ldedge's SigV4ASigner with awscrt.

The key is derived as aws-c-auth derives it (scripts/aws-emulator/sigv4a.py, itself checked against
awscrt's own signer: awscrt signs, our derived key verifies), and every signature is checked with
awscrt.crypto.EC.verify over SHA-256 of the string to sign rebuilt from the request.
Usage: sigv4a_verify.py CASES.json -> {"verified": N, "mismatches": M, "awscrtSelfCheck": K}
"""

import base64
import datetime
import io
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts", "aws-emulator"))
import sigv4a  # noqa: E402


def awscrt_self_check(access_key, secret, count=20):
    """awscrt signs requests; the key sigv4a.py derives must verify them (same derivation as awscrt)."""
    import awscrt.auth
    import awscrt.http
    ok = 0
    for index in range(count):
        path = f"/key-value-stores/arn%3Aaws%3Acloudfront%3A%3A123456789012%3Akey-value-store%2Fabc/keys/k{index}"
        body = f'{{"Value":"{index}"}}'.encode()
        request = awscrt.http.HttpRequest(method="PUT", path=path, headers=awscrt.http.HttpHeaders([("host", "123456789012.localhost")]),
                                          body_stream=io.BytesIO(body))
        config = awscrt.auth.AwsSigningConfig(
            algorithm=awscrt.auth.AwsSigningAlgorithm.V4_ASYMMETRIC, signature_type=awscrt.auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
            credentials_provider=awscrt.auth.AwsCredentialsProvider.new_static(access_key, secret), region="*",
            service="cloudfront-keyvaluestore", date=datetime.datetime.now(datetime.timezone.utc),
            use_double_uri_encode=True, should_normalize_uri_path=True)
        awscrt.auth.aws_sign_request(request, config).result()
        headers = {name.lower(): value for name, value in request.headers}
        verified, _ = sigv4a.verify("PUT", path, "", headers, body, {access_key: secret})
        ok += 1 if verified else 0
    return ok


def main():
    with open(sys.argv[1]) as handle:
        document = json.load(handle)
    secrets = {document["accessKeyId"]: document["secret"]}
    verified = mismatches = 0
    reasons = []
    for case in document["cases"]:
        ok, reason = sigv4a.verify(case["method"], case["path"], case["query"], case["headers"], base64.b64decode(case["body"]), secrets)
        if ok:
            verified += 1
        else:
            mismatches += 1
            reasons.append(reason)
    print(json.dumps({"verified": verified, "mismatches": mismatches, "awscrtSelfCheck": awscrt_self_check(document["accessKeyId"], document["secret"]),
                      "reasons": reasons[:3]}))


if __name__ == "__main__":
    main()
