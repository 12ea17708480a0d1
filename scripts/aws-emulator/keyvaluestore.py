"""The CloudFront KeyValueStore data plane (`cloudfront-keyvaluestore`, API 2022-07-26, REST-JSON):
what a function's `cf.kvs()` reads and ldedge writes. Every request must be signed with SigV4A;
with the caller's secret known (`POST /ldedge-emulator/sigv4a`) awscrt verifies the signature.
Writes name the store's ETag (409 ConflictException when stale); keys are 1-512 bytes, values at
most 1 KB, a store at most 5 MB, UpdateKeys at most 50 keys (3 MB), all or nothing.
Mixed into CloudFrontFunctions (cloudfront_functions.py), which owns the stores.
"""

import json
import re
import time
import uuid
from urllib.parse import unquote

import sigv4a

MAX_KEY = 512
MAX_VALUE = 1024
MAX_STORE = 5 * 1024 * 1024
MAX_BATCH_KEYS = 50
MAX_BATCH_BYTES = 3 * 1024 * 1024


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _etag():
    return "E" + uuid.uuid4().hex[:13].upper()


class KeyValueStoreDataPlane:
    """Needs `self.lock`, `self.stores`, `self._store_by_arn`, `self.secrets` and `self.sigv4a`."""

    def handle_data(self, method, raw_path, query_string, query, body, environ):
        """Answers a cloudfront-keyvaluestore call (paths /key-value-stores/...), or None."""
        # Through a proxy the request line holds the absolute URI.
        raw_path = re.sub(r"^[a-z]+://[^/]*", "", raw_path)
        if not raw_path.startswith("/key-value-stores/"):
            return self._json(400, {"Message": f"unsupported path {raw_path}"}, error_code="ValidationException")
        try:
            self._verify(method, raw_path, query_string, body, environ)
            match = re.fullmatch(r"/key-value-stores/([^/]+)(?:/keys(?:/(.+))?)?", raw_path)
            if not match:
                raise ApiError(400, "ValidationException", f"unsupported path {raw_path}")
            arn = unquote(match.group(1))
            has_keys = "/keys" in raw_path[len("/key-value-stores/") + len(match.group(1)):]
            key = unquote(match.group(2)) if match.group(2) else None
            if_match = environ.get("HTTP_IF_MATCH")
            with self.lock:
                store = self._store_by_arn(arn)
                if store is None:
                    raise ApiError(404, "ResourceNotFoundException", f"The key value store {arn} does not exist.")
                if not has_keys and method == "GET":
                    return self._json(200, {"ItemCount": len(store["items"]), "TotalSizeInBytes": self._size(store["items"]),
                                            "KvsARN": arn, "Created": store["created"], "LastModified": store["modified"],
                                            "Status": store["status"]}, store["data_etag"])
                if has_keys and key is None and method == "GET":
                    return self.list_keys(store, query)
                if has_keys and key is None and method == "POST":
                    return self.update_keys(store, if_match, body)
                if key is not None and method == "GET":
                    if key not in store["items"]:
                        raise ApiError(404, "ResourceNotFoundException", f"The key {key} does not exist.")
                    return self._json(200, {"Key": key, "Value": store["items"][key], "ItemCount": len(store["items"]),
                                            "TotalSizeInBytes": self._size(store["items"])})
                if key is not None and method == "PUT":
                    try:
                        value = json.loads(body or b"{}").get("Value")
                    except Exception:
                        raise ApiError(400, "ValidationException", "The request body is not JSON.")
                    return self._write(store, if_match, puts=[{"Key": key, "Value": value}], deletes=[])
                if key is not None and method == "DELETE":
                    if key not in store["items"]:
                        raise ApiError(404, "ResourceNotFoundException", f"The key {key} does not exist.")
                    return self._write(store, if_match, puts=[], deletes=[{"Key": key}])
            raise ApiError(400, "ValidationException", f"unsupported call {method} {raw_path}")
        except ApiError as error:
            return self._json(error.status, {"Message": error.message, "message": error.message}, error_code=error.code)

    def _verify(self, method, raw_path, query_string, body, environ):
        headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")}
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers[name.replace("_", "-").lower()] = environ[name]
        if not headers.get("authorization", "").startswith(sigv4a.ALGORITHM):
            self.sigv4a["mismatches"] += 1
            raise ApiError(403, "AccessDeniedException", "cloudfront-keyvaluestore requests must be signed with SigV4A (AWS4-ECDSA-P256-SHA256).")
        ok, reason = sigv4a.verify(method, raw_path, query_string, headers, body, self.secrets)
        if ok is None:
            self.sigv4a["unchecked"] += 1
        elif ok:
            self.sigv4a["verified"] += 1
        else:
            self.sigv4a["mismatches"] += 1
            raise ApiError(403, "AccessDeniedException", reason)

    @staticmethod
    def _size(items):
        return sum(len(k.encode()) + len(v.encode()) for k, v in items.items())

    @staticmethod
    def _json(status, document, etag=None, error_code=None):
        payload = json.dumps(document).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", uuid.uuid4().hex), ("Content-Length", str(len(payload)))]
        if etag:
            headers.append(("ETag", etag))
        if error_code:
            headers.append(("x-amzn-ErrorType", error_code))
        reason = {200: "OK", 400: "Bad Request", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
                  409: "Conflict", 412: "Precondition Failed"}.get(status, "Error")
        return f"{status} {reason}", headers, payload

    def list_keys(self, store, query):
        keys = sorted(store["items"])
        try:
            limit = min(50, max(1, int(query.get("MaxResults", 10))))
            start = int(query.get("NextToken", "0") or 0)
        except ValueError:
            raise ApiError(400, "ValidationException", "MaxResults and NextToken must be numbers.")
        page = keys[start:start + limit]
        document = {"Items": [{"Key": k, "Value": store["items"][k]} for k in page]}
        if start + limit < len(keys):
            document["NextToken"] = str(start + limit)
        return self._json(200, document)

    def update_keys(self, store, if_match, body):
        try:
            request = json.loads(body or b"{}")
        except Exception:
            raise ApiError(400, "ValidationException", "The request body is not JSON.")
        puts, deletes = request.get("Puts") or [], request.get("Deletes") or []
        if len(puts) + len(deletes) > MAX_BATCH_KEYS:
            raise ApiError(400, "ValidationException", f"UpdateKeys takes at most {MAX_BATCH_KEYS} keys.")
        if len(body or b"") > MAX_BATCH_BYTES:
            raise ApiError(400, "ValidationException", "UpdateKeys takes at most 3 MB.")
        return self._write(store, if_match, puts, deletes)

    def _write(self, store, if_match, puts, deletes):
        if not if_match:
            raise ApiError(400, "ValidationException", "If-Match (the store's ETag) is required.")
        if if_match != store["data_etag"]:
            raise ApiError(409, "ConflictException", "The If-Match ETag does not match the store's current ETag (it changed).")
        items = dict(store["items"])
        for put in puts:
            key, value = put.get("Key"), put.get("Value")
            if not isinstance(key, str) or not key or len(key.encode()) > MAX_KEY:
                raise ApiError(400, "ValidationException", f"Keys are 1 to {MAX_KEY} bytes.")
            if not isinstance(value, str) or len(value.encode()) > MAX_VALUE:
                raise ApiError(400, "ValidationException", f"Values are strings of at most {MAX_VALUE} bytes (1 KB); {key} has {len(str(value).encode())}.")
            items[key] = value
        for delete in deletes:
            items.pop(delete.get("Key"), None)
        if self._size(items) > MAX_STORE:
            raise ApiError(402, "ServiceQuotaExceededException", "The key value store would exceed 5 MB.")
        store["items"] = items
        store["modified"] = time.time()
        store["data_etag"] = _etag()
        return self._json(200, {"ItemCount": len(items), "TotalSizeInBytes": self._size(items), "ETag": store["data_etag"]},
                          store["data_etag"])

