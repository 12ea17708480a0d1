"""Names the AWS operation of a request, for the call log and fault injection."""

import re
from urllib.parse import parse_qsl

JSON_SERVICES = ("dynamodb", "secretsmanager", "ecs", "logs")

_SCOPE = re.compile(r"Credential=[^/]*/\d{8}/([^/]+)/([^/]+)/aws4_request")


def service_of(environ, body):
    """The SigV4 service of a request (moto routes the same way), or a best guess for unsigned ones."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(2)
    query = environ.get("QUERY_STRING", "")
    match = _SCOPE.search(query.replace("%2F", "/"))
    if match:
        return match.group(2)
    path = environ.get("PATH_INFO", "")
    if path.startswith("/key-value-stores/"):  # SigV4A scopes name no region: DATE/SERVICE/aws4_request
        return "cloudfront-keyvaluestore"
    if path.startswith("/2015-03-31/"):
        return "lambda"
    if path.startswith("/2020-05-31/"):
        return "cloudfront"
    if b"Action=AssumeRoleWithWebIdentity" in (body or b"") or "AssumeRoleWithWebIdentity" in query:
        return "sts"
    return "s3"


def region_of(environ):
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "us-east-1"


def _action(query, body):
    if "Action" in query:
        return query["Action"]
    for key, value in parse_qsl((body or b"").decode("utf-8", "replace"), keep_blank_values=True):
        if key == "Action":
            return value
    return "Unknown"


def classify(service, method, path, query, body, environ):
    # JSON 1.1 services (SSM): the operation is in X-Amz-Target, "AmazonSSM.PutParameter".
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    if service in ("iam", "sts", "ec2", "monitoring"):
        return _action(query, body)
    if service in JSON_SERVICES:
        # JSON 1.0/1.1 protocols name the operation in X-Amz-Target ("DynamoDB_20120810.CreateTable").
        return environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2] or "Unknown"
    if service == "lambda":
        return _lambda(method, path)
    if service == "cloudfront":
        return _cloudfront(method, path)
    if service == "s3":
        return _s3(method, path, query, environ)
    if service == "cloudfront-keyvaluestore":
        return _keyvaluestore(method, path)
    return "Unknown"


def _lambda(method, path):
    if re.fullmatch(r"/2015-03-31/functions/?", path):
        return "CreateFunction" if method == "POST" else "ListFunctions"
    match = re.fullmatch(r"/2015-03-31/functions/[^/]+(/[a-z-]+)?/?", path)
    if not match:
        return "Unknown"
    suffix = match.group(1) or ""
    table = {
        ("", "GET"): "GetFunction", ("", "DELETE"): "DeleteFunction",
        ("/configuration", "GET"): "GetFunctionConfiguration", ("/configuration", "PUT"): "UpdateFunctionConfiguration",
        ("/code", "PUT"): "UpdateFunctionCode",
        ("/versions", "GET"): "ListVersionsByFunction", ("/versions", "POST"): "PublishVersion",
        ("/invocations", "POST"): "Invoke", ("/policy", "POST"): "AddPermission", ("/policy", "GET"): "GetPolicy",
    }
    return table.get((suffix, method), "Unknown")


def _cloudfront(method, path):
    p = path.rstrip("/")
    if p == "/2020-05-31/distribution":
        return "CreateDistribution" if method == "POST" else "ListDistributions"
    if re.fullmatch(r"/2020-05-31/distribution/[^/]+", p):
        return {"GET": "GetDistribution", "DELETE": "DeleteDistribution"}.get(method, "Unknown")
    if re.fullmatch(r"/2020-05-31/distribution/[^/]+/config", p):
        return {"GET": "GetDistributionConfig", "PUT": "UpdateDistribution"}.get(method, "Unknown")
    if re.fullmatch(r"/2020-05-31/distribution/[^/]+/invalidation", p):
        return "CreateInvalidation" if method == "POST" else "ListInvalidations"
    if re.fullmatch(r"/2020-05-31/distribution/[^/]+/invalidation/[^/]+", p):
        return "GetInvalidation"
    if p == "/2020-05-31/origin-access-control":
        return "CreateOriginAccessControl" if method == "POST" else "ListOriginAccessControls"
    if re.fullmatch(r"/2020-05-31/origin-access-control/[^/]+", p):
        return {"GET": "GetOriginAccessControl", "DELETE": "DeleteOriginAccessControl"}.get(method, "Unknown")
    if p == "/2020-05-31/function":
        return "CreateFunction" if method == "POST" else "ListFunctions"
    match = re.fullmatch(r"/2020-05-31/function/[^/]+(/describe|/publish|/test)?", p)
    if match:
        return {"/describe": "DescribeFunction", "/publish": "PublishFunction", "/test": "TestFunction"}.get(
            match.group(1) or "", {"GET": "GetFunction", "PUT": "UpdateFunction", "DELETE": "DeleteFunction"}.get(method, "Unknown"))
    if p == "/2020-05-31/key-value-store":
        return "CreateKeyValueStore" if method == "POST" else "ListKeyValueStores"
    if re.fullmatch(r"/2020-05-31/key-value-store/[^/]+", p):
        return {"GET": "DescribeKeyValueStore", "DELETE": "DeleteKeyValueStore", "PUT": "UpdateKeyValueStore"}.get(method, "Unknown")
    return "Unknown"


def _keyvaluestore(method, path):
    if "/keys/" in path:
        return {"GET": "GetKey", "PUT": "PutKey", "DELETE": "DeleteKey"}.get(method, "Unknown")
    if path.rstrip("/").endswith("/keys"):
        return "UpdateKeys" if method == "POST" else "ListKeys"
    return "DescribeKeyValueStore"


def _s3(method, path, query, environ):
    host = environ.get("HTTP_HOST", "")
    virtual = bool(re.match(r"^[a-z0-9.-]+\.s3[.-]", host)) or ".localhost" in host
    parts = path.lstrip("/").split("/", 1)
    if virtual:
        has_key = path not in ("", "/")
    else:
        if parts[0] == "":
            return "ListBuckets"
        has_key = len(parts) > 1 and parts[1] != ""
    if not has_key:
        if method == "PUT":
            if "policy" in query:
                return "PutBucketPolicy"
            if "publicAccessBlock" in query:
                return "PutPublicAccessBlock"
            return "CreateBucket"
        if method == "GET":
            if "policy" in query:
                return "GetBucketPolicy"
            if "publicAccessBlock" in query:
                return "GetPublicAccessBlock"
            if "location" in query:
                return "GetBucketLocation"
            return "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
        if method == "HEAD":
            return "HeadBucket"
        if method == "DELETE":
            if "policy" in query:
                return "DeleteBucketPolicy"
            if "publicAccessBlock" in query:
                return "DeletePublicAccessBlock"
            return "DeleteBucket"
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        return "Unknown"
    if method == "PUT":
        if "partNumber" in query:
            return "UploadPart"
        if environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            return "CopyObject"
        return "PutObject"
    if method == "GET":
        return "GetObject"
    if method == "HEAD":
        return "HeadObject"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
    return "Unknown"


_READ_PREFIXES = ("Get", "List", "Head", "Describe", "Filter")
_NON_MUTATING = {"AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity", "Invoke", "Query", "Scan",
                 "BatchGetItem", "GetSecretValue"}


def is_mutating(service, method, operation):
    if operation in _NON_MUTATING or operation.startswith(_READ_PREFIXES):
        return False
    if operation == "Unknown":
        return method not in ("GET", "HEAD")
    return True
