#!/usr/bin/env python3
"""botocore's own `cloudfront` and `cloudfront-keyvaluestore` clients, unchanged, against the AWS emulator.

Usage: botocore_clients.py ENDPOINT (http://127.0.0.1:PORT). The data-plane client signs with SigV4A
through awscrt; its endpoint rules put the account id in front of the host
(`{account}.127.0.0.1` cannot resolve), so it reaches the emulator through it as an HTTP proxy —
the request itself, host and signature included, is exactly what botocore sends to AWS.
The emulator is told the secret, verifies every SigV4A signature with awscrt, and the script
prints {"ok": true, "sigv4a": {"verified": N, "mismatches": 0, ...}} or fails with the reason.
"""

import base64
import json
import sys
import urllib.request

import botocore.config
import botocore.session

CODE = b"""import cf from 'cloudfront';
const store = cf.kvs();
async function handler(event) {
  const greeting = await store.get('greeting', {format: 'string'});
  event.request.headers['x-greeting'] = {value: greeting};
  return event.request;
}
"""


def control(endpoint, path, document=None):
    request = urllib.request.Request(endpoint + path, data=None if document is None else json.dumps(document).encode(),
                                     method="GET" if document is None else "POST")
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def expect_error(code, call):
    try:
        call()
    except Exception as error:  # botocore.exceptions.ClientError
        actual = getattr(error, "response", {}).get("Error", {}).get("Code")
        if actual != code:
            raise AssertionError(f"expected {code}, got {actual}: {error}")
        return
    raise AssertionError(f"expected {code}, the call succeeded")


def main():
    endpoint = sys.argv[1].rstrip("/")
    control(endpoint, "/ldedge-emulator/sigv4a", {"secrets": {"AKIDBOTOCORE": "botocore/secret+key"}})
    session = botocore.session.get_session()
    credentials = dict(aws_access_key_id="AKIDBOTOCORE", aws_secret_access_key="botocore/secret+key", region_name="us-east-1")
    cloudfront = session.create_client("cloudfront", endpoint_url=endpoint, **credentials)
    proxy = botocore.config.Config(proxies={"http": endpoint})
    kvs = session.create_client("cloudfront-keyvaluestore", endpoint_url="http://localhost", config=proxy, **credentials)

    store = cloudfront.create_key_value_store(Name="botocore-store", Comment="checked by botocore")["KeyValueStore"]
    described = cloudfront.describe_key_value_store(Name="botocore-store")
    assert described["KeyValueStore"]["ARN"] == store["ARN"], described
    assert [s["Name"] for s in cloudfront.list_key_value_stores()["KeyValueStoreList"]["Items"]] == ["botocore-store"]

    arn = store["ARN"]
    etag = kvs.describe_key_value_store(KvsARN=arn)["ETag"]
    etag = kvs.put_key(KvsARN=arn, Key="greeting", Value="hello", IfMatch=etag)["ETag"]
    expect_error("ConflictException", lambda: kvs.put_key(KvsARN=arn, Key="greeting", Value="stale", IfMatch="EWRONG"))
    expect_error("ValidationException", lambda: kvs.put_key(KvsARN=arn, Key="big", Value="x" * 1025, IfMatch=etag))
    expect_error("ValidationException", lambda: kvs.update_keys(KvsARN=arn, IfMatch=etag, Puts=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]))
    etag = kvs.update_keys(KvsARN=arn, IfMatch=etag, Puts=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])["ETag"]
    assert kvs.get_key(KvsARN=arn, Key="greeting")["Value"] == "hello"
    pages = kvs.get_paginator("list_keys").paginate(KvsARN=arn)
    assert sum(len(page.get("Items", [])) for page in pages) == 51
    etag = kvs.update_keys(KvsARN=arn, IfMatch=etag, Deletes=[{"Key": f"k{i}"} for i in range(50)])["ETag"]
    etag = kvs.delete_key(KvsARN=arn, Key="greeting", IfMatch=etag)["ETag"]
    expect_error("ResourceNotFoundException", lambda: kvs.get_key(KvsARN=arn, Key="greeting"))
    etag = kvs.put_key(KvsARN=arn, Key="greeting", Value="hello", IfMatch=etag)["ETag"]

    config = {"Comment": "botocore", "Runtime": "cloudfront-js-2.0",
              "KeyValueStoreAssociations": {"Quantity": 1, "Items": [{"KeyValueStoreARN": arn}]}}
    created = cloudfront.create_function(Name="botocore-fn", FunctionConfig=config, FunctionCode=CODE)
    etag = created["ETag"]
    assert cloudfront.get_function(Name="botocore-fn")["FunctionCode"].read() == CODE
    event = {"version": "1.0", "context": {"eventType": "viewer-request"}, "viewer": {"ip": "1.2.3.4"},
             "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": {}, "cookies": {}}}
    tested = cloudfront.test_function(Name="botocore-fn", IfMatch=etag, EventObject=json.dumps(event).encode())["TestResult"]
    output = json.loads(tested["FunctionOutput"])
    assert output["headers"]["x-greeting"]["value"] == "hello", tested
    expect_error("PreconditionFailed", lambda: cloudfront.publish_function(Name="botocore-fn", IfMatch="EWRONG"))
    cloudfront.publish_function(Name="botocore-fn", IfMatch=etag)
    live = cloudfront.describe_function(Name="botocore-fn", Stage="LIVE")
    assert live["FunctionSummary"]["FunctionMetadata"]["Stage"] == "LIVE"
    assert [f["Name"] for f in cloudfront.list_functions()["FunctionList"]["Items"]] == ["botocore-fn"]
    updated = cloudfront.update_function(Name="botocore-fn", IfMatch=etag, FunctionConfig=config, FunctionCode=CODE + b"\n")
    etag = cloudfront.describe_function(Name="botocore-fn")["ETag"]
    expect_error("CannotDeleteEntityWhileInUse", lambda: cloudfront.delete_key_value_store(
        Name="botocore-store", IfMatch=cloudfront.describe_key_value_store(Name="botocore-store")["ETag"]))
    cloudfront.delete_function(Name="botocore-fn", IfMatch=etag)
    cloudfront.delete_key_value_store(Name="botocore-store", IfMatch=cloudfront.describe_key_value_store(Name="botocore-store")["ETag"])
    assert cloudfront.list_functions()["FunctionList"]["Quantity"] == 0 and updated

    counts = control(endpoint, "/ldedge-emulator/sigv4a")
    if counts["mismatches"] or not counts["verified"]:
        raise AssertionError(f"SigV4A: {counts}")
    # A signature made with another secret is refused.
    forged = session.create_client("cloudfront-keyvaluestore", endpoint_url="http://localhost", config=proxy,
                                   aws_access_key_id="AKIDBOTOCORE", aws_secret_access_key="not-the-secret", region_name="us-east-1")
    expect_error("AccessDeniedException", lambda: forged.list_keys(KvsARN=arn))
    print(json.dumps({"ok": True, "sigv4a": counts}))


if __name__ == "__main__":
    main()
