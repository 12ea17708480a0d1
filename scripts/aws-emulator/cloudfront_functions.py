"""CloudFront Functions and KeyValueStore (control plane, API 2020-05-31; data plane
`cloudfront-keyvaluestore` 2022-07-26), which moto does not implement.

Shapes follow botocore's service models. Behaviour follows AWS: a function has a DEVELOPMENT and a
LIVE stage, each change gives a new ETag and If-Match is required and checked (412
PreconditionFailed); a function associated with a distribution cannot be deleted (409
FunctionInUse), nor a store associated with a function (409 CannotDeleteEntityWhileInUse);
TestFunction runs the code in Node.js (scripts/handler-runner/cff_runtime.mjs) with `cf.kvs()`
serving the emulated store. The data plane (keys and values, SigV4A) is keyvaluestore.py.
"""

import base64
import datetime
import json
import os
import re
import subprocess
import threading
import time
import uuid
from urllib.parse import unquote

from moto.core import DEFAULT_ACCOUNT_ID

from keyvaluestore import ApiError, KeyValueStoreDataPlane

NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
RUNTIME = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "handler-runner", "cff_runtime.mjs")
MAX_CODE = 10 * 1024
_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


def _esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _iso(at):
    moment = datetime.datetime.fromtimestamp(at, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _etag():
    return "E" + uuid.uuid4().hex[:13].upper()


def _local(tag):
    return tag.split("}", 1)[-1]


def _find(element, *names):
    for name in names:
        if element is None:
            return None
        element = next((child for child in element if _local(child.tag) == name), None)
    return element


def _text(element, *names):
    found = _find(element, *names)
    return None if found is None else (found.text or "")


class CloudFrontFunctions(KeyValueStoreDataPlane):
    def __init__(self, cloudfront):
        self.cloudfront = cloudfront  # distributions, to refuse deleting a function in use
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.functions = {}
            self.stores = {}  # name -> store
            self.secrets = {}
            self.sigv4a = {"verified": 0, "mismatches": 0, "unchecked": 0}

    # ------------------------------------------------------------ control plane (XML)

    def handle(self, method, path, query, body, environ):
        """Answers a CloudFront function or key-value-store call, or None when `path` is neither."""
        p = path.rstrip("/")
        if not (p.startswith("/2020-05-31/function") or p.startswith("/2020-05-31/key-value-store")):
            return None
        if_match = environ.get("HTTP_IF_MATCH")
        try:
            with self.lock:
                if p == "/2020-05-31/function":
                    return self.create_function(body) if method == "POST" else self.list_functions(query)
                match = re.fullmatch(r"/2020-05-31/function/([^/]+)(/describe|/publish|/test)?", p)
                if match:
                    name, suffix = unquote(match.group(1)), match.group(2) or ""
                    stage = query.get("Stage", "DEVELOPMENT")
                    if suffix == "/describe" and method == "GET":
                        return self.describe_function(name, stage)
                    if suffix == "/publish" and method == "POST":
                        return self.publish_function(name, if_match)
                    if suffix == "/test" and method == "POST":
                        return self.test_function(name, if_match, body)
                    if suffix == "" and method == "GET":
                        return self.get_function(name, stage)
                    if suffix == "" and method == "PUT":
                        return self.update_function(name, if_match, body)
                    if suffix == "" and method == "DELETE":
                        return self.delete_function(name, if_match)
                if p == "/2020-05-31/key-value-store":
                    return self.create_store(body) if method == "POST" else self.list_stores()
                match = re.fullmatch(r"/2020-05-31/key-value-store/([^/]+)", p)
                if match and method == "GET":
                    return self.describe_store(unquote(match.group(1)))
                if match and method == "DELETE":
                    return self.delete_store(unquote(match.group(1)), if_match)
                raise ApiError(400, "InvalidArgument", f"ldedge emulator: unsupported CloudFront call {method} {path}")
        except ApiError as error:
            return self._xml_error(error)

    def _xml_error(self, error):
        request_id = uuid.uuid4().hex
        kind = "Sender" if error.status < 500 else "Receiver"
        payload = (f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{NS}"><Error><Type>{kind}</Type>'
                   f"<Code>{error.code}</Code><Message>{_esc(error.message)}</Message></Error>"
                   f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        return f"{error.status} Error", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id),
                                         ("Content-Length", str(len(payload)))], payload

    @staticmethod
    def _xml(status, document, etag=None, location=None):
        payload = ('<?xml version="1.0" encoding="UTF-8"?>\n' + document).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", uuid.uuid4().hex), ("Content-Length", str(len(payload)))]
        if etag:
            headers.append(("ETag", etag))
        if location:
            headers.append(("Location", location))
        return status, headers, payload

    @staticmethod
    def _parse(body, root_name):
        import xml.etree.ElementTree as ET
        try:
            root = ET.fromstring(body)
        except ET.ParseError as error:
            raise ApiError(400, "MalformedXML", f"The XML you provided was not well-formed: {error}")
        if _local(root.tag) != root_name:
            raise ApiError(400, "MalformedXML", f"expected {root_name}, got {_local(root.tag)}")
        return root

    def _function_config(self, root):
        config = _find(root, "FunctionConfig")
        if config is None or _text(config, "Runtime") is None or _text(config, "Comment") is None:
            raise ApiError(400, "InvalidArgument", "FunctionConfig with Comment and Runtime is required.")
        runtime = _text(config, "Runtime")
        if runtime not in ("cloudfront-js-1.0", "cloudfront-js-2.0"):
            raise ApiError(400, "InvalidArgument", f"Unsupported runtime {runtime}.")
        stores = [_text(item, "KeyValueStoreARN") for item in (_find(config, "KeyValueStoreAssociations", "Items") or [])]
        quantity = int(_text(config, "KeyValueStoreAssociations", "Quantity") or 0)
        if quantity != len(stores):
            raise ApiError(400, "InvalidArgument", "KeyValueStoreAssociations Quantity does not match the number of Items.")
        if len(stores) > 1:
            raise ApiError(400, "InvalidArgument", "A function can be associated with at most one key value store.")
        if stores and runtime != "cloudfront-js-2.0":
            raise ApiError(400, "InvalidArgument", "Key value stores need the cloudfront-js-2.0 runtime.")
        for arn in stores:
            if self._store_by_arn(arn) is None:
                raise ApiError(400, "InvalidArgument", f"The key value store {arn} does not exist.")
        return {"comment": _text(config, "Comment"), "runtime": runtime, "stores": stores}

    @staticmethod
    def _code(root):
        text = _text(root, "FunctionCode")
        try:
            code = base64.b64decode(text or "", validate=True)
        except Exception:
            raise ApiError(400, "InvalidArgument", "FunctionCode is not valid base64.")
        if not code:
            raise ApiError(400, "InvalidArgument", "FunctionCode must not be empty.")
        if len(code) > MAX_CODE:
            raise ApiError(413, "FunctionSizeLimitExceeded", f"The function code is {len(code)} bytes; the limit is {MAX_CODE}.")
        return code

    def _function(self, name):
        function = self.functions.get(name)
        if function is None:
            raise ApiError(404, "NoSuchFunctionExists", f"The function {name} does not exist.")
        return function

    @staticmethod
    def _check(function, if_match):
        if not if_match:
            raise ApiError(400, "InvalidIfMatchVersion", "The If-Match version is missing or not valid.")
        if if_match != function["etag"]:
            raise ApiError(412, "PreconditionFailed", "The If-Match version does not match the current version.")

    def _summary_xml(self, function, stage):
        state = function["live"] if stage == "LIVE" else function
        stores = state["config"]["stores"]
        associations = (f"<KeyValueStoreAssociations><Quantity>{len(stores)}</Quantity><Items>"
                        + "".join(f"<KeyValueStoreAssociation><KeyValueStoreARN>{_esc(a)}</KeyValueStoreARN></KeyValueStoreAssociation>" for a in stores)
                        + "</Items></KeyValueStoreAssociations>") if stores else ""
        return (f'<FunctionSummary xmlns="{NS}"><Name>{function["name"]}</Name><Status>{state["status"]}</Status>'
                f'<FunctionConfig><Comment>{_esc(state["config"]["comment"])}</Comment><Runtime>{state["config"]["runtime"]}</Runtime>'
                f"{associations}</FunctionConfig><FunctionMetadata><FunctionARN>{function['arn']}</FunctionARN><Stage>{stage}</Stage>"
                f"<CreatedTime>{_iso(function['created'])}</CreatedTime><LastModifiedTime>{_iso(state['modified'])}</LastModifiedTime>"
                "</FunctionMetadata></FunctionSummary>")

    def create_function(self, body):
        root = self._parse(body, "CreateFunctionRequest")
        name = _text(root, "Name") or ""
        if not _NAME.match(name):
            raise ApiError(400, "InvalidArgument", "Function names are 1-64 letters, digits, '-' and '_'.")
        if name in self.functions:
            raise ApiError(409, "FunctionAlreadyExists", f"A function with the name {name} already exists.")
        config, code, now = self._function_config(root), self._code(root), time.time()
        function = {"name": name, "arn": f"arn:aws:cloudfront::{DEFAULT_ACCOUNT_ID}:function/{name}", "created": now, "modified": now,
                    "config": config, "code": code, "status": "UNPUBLISHED", "etag": _etag(), "live": None}
        self.functions[name] = function
        return self._xml("201 Created", self._summary_xml(function, "DEVELOPMENT"), function["etag"],
                         f"https://cloudfront.amazonaws.com/2020-05-31/function/{function['arn']}")

    def describe_function(self, name, stage):
        function = self._function(name)
        if stage == "LIVE" and function["live"] is None:
            raise ApiError(404, "NoSuchFunctionExists", f"The function {name} has no LIVE stage: publish it first.")
        etag = function["live"]["etag"] if stage == "LIVE" else function["etag"]
        return self._xml("200 OK", self._summary_xml(function, stage), etag)

    def get_function(self, name, stage):
        function = self._function(name)
        state = function["live"] if stage == "LIVE" else function
        if state is None:
            raise ApiError(404, "NoSuchFunctionExists", f"The function {name} has no LIVE stage: publish it first.")
        code = state["code"]
        return "200 OK", [("Content-Type", "application/octet-stream"), ("ETag", state["etag"]),
                          ("x-amzn-RequestId", uuid.uuid4().hex), ("Content-Length", str(len(code)))], code

    def update_function(self, name, if_match, body):
        function = self._function(name)
        root = self._parse(body, "UpdateFunctionRequest")
        self._check(function, if_match)
        function.update(config=self._function_config(root), code=self._code(root), modified=time.time(), etag=_etag(), status="UNPUBLISHED")
        return self._xml("200 OK", self._summary_xml(function, "DEVELOPMENT"), function["etag"])

    def publish_function(self, name, if_match):
        function = self._function(name)
        self._check(function, if_match)
        now = time.time()
        function["status"] = "UNASSOCIATED" if not self._in_use(function["arn"]) else "DEPLOYED"
        function["live"] = {"config": dict(function["config"]), "code": function["code"], "modified": now, "status": "DEPLOYED",
                            "etag": _etag()}
        return self._xml("200 OK", self._summary_xml(function, "LIVE"))

    def test_function(self, name, if_match, body):
        function = self._function(name)
        root = self._parse(body, "TestFunctionRequest")
        stage = _text(root, "Stage") or "DEVELOPMENT"
        state = function["live"] if stage == "LIVE" else function
        if state is None:
            raise ApiError(404, "NoSuchFunctionExists", f"The function {name} has no LIVE stage.")
        if if_match != state["etag"]:
            raise ApiError(412 if if_match else 400, "PreconditionFailed" if if_match else "InvalidIfMatchVersion",
                           "The If-Match version does not match the current version.")
        try:
            event = json.loads(base64.b64decode(_text(root, "EventObject") or ""))
        except Exception:
            raise ApiError(400, "InvalidArgument", "EventObject is not a base64-encoded JSON event.")
        store = {}
        for arn in state["config"]["stores"]:
            found = self._store_by_arn(arn)
            if found:
                store = dict(found["items"])
        answer = run_function(state["code"].decode("utf-8", "replace"), event, store)
        logs = "".join(f"<member>{_esc(line)}</member>" for line in answer.get("logs", []))
        error = f"<FunctionErrorMessage>{_esc(answer['error'])}</FunctionErrorMessage>" if answer.get("error") else ""
        output = f"<FunctionOutput>{_esc(json.dumps(answer.get('output')))}</FunctionOutput>" if answer.get("output") is not None else ""
        summary = self._summary_xml(function, stage).replace(f' xmlns="{NS}"', "")
        document = (f'<TestResult xmlns="{NS}">{summary}'
                    f"<ComputeUtilization>{answer.get('computeUtilization', '0')}</ComputeUtilization>"
                    f"<FunctionExecutionLogs>{logs}</FunctionExecutionLogs>{error}{output}</TestResult>")
        return self._xml("200 OK", document)

    def validate_associations(self, behavior):
        """FunctionAssociations of a cache behavior: published functions, viewer events, one per event type."""
        items = [child for child in (_find(behavior, "FunctionAssociations", "Items") or [])]
        quantity = _text(behavior, "FunctionAssociations", "Quantity")
        if quantity is not None and int(quantity or 0) != len(items):
            raise ApiError(400, "InvalidArgument", "FunctionAssociations Quantity does not match the number of Items.")
        events = [_text(item, "EventType") for item in items]
        if len(events) != len(set(events)):
            raise ApiError(400, "InvalidArgument", "Only one function can be associated per event type.")
        lambda_events = [_text(item, "EventType") for item in (_find(behavior, "LambdaFunctionAssociations", "Items") or [])]
        for item in items:
            arn, event = _text(item, "FunctionARN") or "", _text(item, "EventType")
            if event not in ("viewer-request", "viewer-response"):
                raise ApiError(400, "InvalidFunctionAssociation", f"CloudFront Functions run on viewer events only, not {event}.")
            if event in lambda_events:
                raise ApiError(400, "InvalidFunctionAssociation", f"A behavior cannot have both a CloudFront Function and a Lambda@Edge function for {event}.")
            name = arn.rsplit("/", 1)[-1]
            function = self.functions.get(name)
            if function is None or function["arn"] != arn or function["live"] is None:
                raise ApiError(400, "InvalidFunctionAssociation", f"The function {arn} does not exist or is not published (LIVE).")

    def _in_use(self, arn):
        for record in self.cloudfront.distributions.values():
            if f"<FunctionARN>{arn}</FunctionARN>" in re.sub(r"\s+", "", record["config"]):
                return True
        return False

    def delete_function(self, name, if_match):
        function = self._function(name)
        self._check(function, if_match)
        if self._in_use(function["arn"]):
            raise ApiError(409, "FunctionInUse", f"Cannot delete function {name}: it is associated with a distribution.")
        del self.functions[name]
        return "204 No Content", [("x-amzn-RequestId", uuid.uuid4().hex), ("Content-Length", "0")], b""

    def list_functions(self, query):
        stage = query.get("Stage")
        items = []
        for function in sorted(self.functions.values(), key=lambda f: f["name"]):
            if stage == "LIVE" and function["live"] is None:
                continue
            items.append(self._summary_xml(function, stage or "DEVELOPMENT").replace(f' xmlns="{NS}"', ""))
        document = (f'<FunctionList xmlns="{NS}"><MaxItems>100</MaxItems><Quantity>{len(items)}</Quantity>'
                    f"<Items>{''.join(items)}</Items></FunctionList>")
        return self._xml("200 OK", document)

    # key value stores (control plane)

    def _store_by_arn(self, arn):
        return next((s for s in self.stores.values() if s["arn"] == arn), None)

    def _store_xml(self, store, root=True):
        xmlns = f' xmlns="{NS}"' if root else ""
        return (f"<KeyValueStore{xmlns}><Name>{store['name']}</Name><Id>{store['id']}</Id><Comment>{_esc(store['comment'])}</Comment>"
                f"<ARN>{store['arn']}</ARN><Status>{store['status']}</Status><LastModifiedTime>{_iso(store['modified'])}</LastModifiedTime>"
                "</KeyValueStore>")

    def create_store(self, body):
        root = self._parse(body, "CreateKeyValueStoreRequest")
        name = _text(root, "Name") or ""
        if not _NAME.match(name):
            raise ApiError(400, "InvalidArgument", "Key value store names are 1-64 letters, digits, '-' and '_'.")
        if name in self.stores:
            raise ApiError(409, "EntityAlreadyExists", f"A key value store with the name {name} already exists.")
        comment = _text(root, "Comment") or ""
        if len(comment) > 128:
            raise ApiError(400, "InvalidArgument", "The comment is longer than 128 characters.")
        store_id = str(uuid.uuid4())
        now = time.time()
        store = {"name": name, "id": store_id, "arn": f"arn:aws:cloudfront::{DEFAULT_ACCOUNT_ID}:key-value-store/{store_id}",
                 "comment": comment, "status": "READY", "created": now, "modified": now, "etag": _etag(),
                 "items": {}, "data_etag": _etag()}
        self.stores[name] = store
        return self._xml("201 Created", self._store_xml(store), store["etag"],
                         f"https://cloudfront.amazonaws.com/2020-05-31/key-value-store/{store['arn']}")

    def _store(self, name):
        store = self.stores.get(name)
        if store is None:
            raise ApiError(404, "EntityNotFound", f"The key value store {name} does not exist.")
        return store

    def describe_store(self, name):
        store = self._store(name)
        return self._xml("200 OK", self._store_xml(store), store["etag"])

    def list_stores(self):
        items = "".join(self._store_xml(s, root=False) for s in sorted(self.stores.values(), key=lambda s: s["name"]))
        return self._xml("200 OK", f'<KeyValueStoreList xmlns="{NS}"><MaxItems>100</MaxItems><Quantity>{len(self.stores)}</Quantity>'
                                   f"<Items>{items}</Items></KeyValueStoreList>")

    def delete_store(self, name, if_match):
        store = self._store(name)
        if not if_match:
            raise ApiError(400, "InvalidIfMatchVersion", "The If-Match version is missing or not valid.")
        if if_match != store["etag"]:
            raise ApiError(412, "PreconditionFailed", "The If-Match version does not match the current version.")
        for function in self.functions.values():
            stages = [function] + ([function["live"]] if function["live"] else [])
            if any(store["arn"] in state["config"]["stores"] for state in stages):
                raise ApiError(409, "CannotDeleteEntityWhileInUse", f"The key value store {name} is associated with function {function['name']}.")
        del self.stores[name]
        return "204 No Content", [("x-amzn-RequestId", uuid.uuid4().hex), ("Content-Length", "0")], b""

    # ------------------------------------------------------------ control endpoint and inventory

    def control(self, method, body):
        """POST /ldedge-emulator/sigv4a {"secrets": {...}} sets the secrets to verify with; GET returns the counts."""
        with self.lock:
            if method == "POST":
                self.secrets.update(json.loads(body or b"{}").get("secrets") or {})
            return dict(self.sigv4a)

    def inventory(self):
        with self.lock:
            return {
                "functions": {n: {"arn": f["arn"], "status": f["status"], "published": f["live"] is not None,
                                  "keyValueStores": f["config"]["stores"]} for n, f in self.functions.items()},
                "keyValueStores": {n: {"arn": s["arn"], "items": dict(s["items"]), "etag": s["data_etag"]} for n, s in self.stores.items()},
            }


def run_function(code, event, store):
    """Runs a CloudFront Function once in Node.js; {"output", "error", "logs", "computeUtilization"}."""
    try:
        completed = subprocess.run(["node", RUNTIME], input=json.dumps({"code": code, "event": event, "kvs": store}).encode(),
                                   capture_output=True, timeout=10)
        return json.loads(completed.stdout or b"{}") or {"error": completed.stderr.decode("utf-8", "replace")[-500:]}
    except (OSError, subprocess.TimeoutExpired, ValueError) as error:
        return {"error": f"could not run the function in Node.js: {error}", "logs": []}
