"""CloudFront (API 2020-05-31) served by the launcher instead of moto.

Distribution configs are stored as the exact XML the client sent and returned
verbatim, so every field round-trips. Behaviour follows AWS: a new ETag on each
change, If-Match checked (412 PreconditionFailed), InProgress then Deployed
after a delay, DistributionNotDisabled when deleting an enabled or in-progress
distribution, InvalidLambdaFunctionAssociation for unqualified, $LATEST,
non-us-east-1 or out-of-limit functions, and invalidations that go from
InProgress to Completed.
"""

import datetime
import json
import random
import re
import string
import threading
import time
import xml.etree.ElementTree as ET

from moto.core import DEFAULT_ACCOUNT_ID

from cloudfront_functions import CloudFrontFunctions

NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
SERVICE_NS = {
    "cloudfront": NS,
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}
ET.register_namespace("", NS)
VIEWER_EVENTS = ("viewer-request", "viewer-response")
ORIGIN_EVENTS = ("origin-request", "origin-response")
_ARN = re.compile(r"^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([^:]+))?$")


def error_xml(service, code, message, request_id, status):
    kind = "Sender" if status < 500 else "Receiver"
    namespace = SERVICE_NS.get(service, NS)
    return (f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
            f"<Code>{code}</Code><Message>{_esc(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()


def _esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _local(tag):
    return tag.split("}", 1)[-1]


def _child(element, name):
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _path(element, *names):
    for name in names:
        element = _child(element, name)
    return element


def _text(element, *names):
    found = _path(element, *names)
    return (found.text or "") if found is not None else None


def _new_id(prefix="E", length=13):
    return prefix + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def _now_iso(at=None):
    moment = datetime.datetime.fromtimestamp(at or time.time(), tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _strip_declaration(body):
    text = body.decode("utf-8")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2:]
    return text.strip()


def _canonical(text):
    """The config in C14N form with indentation between elements removed, so two
    serialisations of the same configuration compare equal."""
    root = ET.fromstring(text)
    for element in root.iter():
        if len(element) and element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return ET.canonicalize(ET.tostring(root, encoding="unicode"))


class CloudFrontError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class CloudFront:
    def __init__(self, options, emulator):
        self.options = options
        self.emulator = emulator
        self.lock = threading.RLock()
        self.functions = CloudFrontFunctions(self)  # CloudFront Functions and KeyValueStore
        self.reset()

    def reset(self):
        self.functions.reset()
        with getattr(self, "lock", threading.RLock()):
            self.distributions = {}
            self.oacs = {}
            self.released = {}  # version ARN -> time its replicas are gone

    # ------------------------------------------------------------ dispatch

    def handle(self, method, path, query, body, environ):
        p = path.rstrip("/")
        if_match = environ.get("HTTP_IF_MATCH")
        try:
            with self.lock:
                if p == "/2020-05-31/distribution" and method == "POST":
                    return self.create_distribution(body)
                if p == "/2020-05-31/distribution" and method == "GET":
                    return self.list_distributions(query)
                match = re.fullmatch(r"/2020-05-31/distribution/([^/]+)", p)
                if match and method == "GET":
                    return self.get_distribution(match.group(1))
                if match and method == "DELETE":
                    return self.delete_distribution(match.group(1), if_match)
                match = re.fullmatch(r"/2020-05-31/distribution/([^/]+)/config", p)
                if match and method == "GET":
                    return self.get_config(match.group(1))
                if match and method == "PUT":
                    return self.update_distribution(match.group(1), body, if_match)
                match = re.fullmatch(r"/2020-05-31/distribution/([^/]+)/invalidation", p)
                if match and method == "POST":
                    return self.create_invalidation(match.group(1), body)
                match = re.fullmatch(r"/2020-05-31/distribution/([^/]+)/invalidation/([^/]+)", p)
                if match and method == "GET":
                    return self.get_invalidation(match.group(1), match.group(2))
                if p == "/2020-05-31/origin-access-control" and method == "POST":
                    return self.create_oac(body)
                if p == "/2020-05-31/origin-access-control" and method == "GET":
                    return self.list_oacs()
                match = re.fullmatch(r"/2020-05-31/origin-access-control/([^/]+)", p)
                if match and method == "GET":
                    return self.get_oac(match.group(1))
                if match and method == "DELETE":
                    return self.delete_oac(match.group(1), if_match)
                answer = self.functions.handle(method, path, query, body, environ)
                if answer is not None:
                    return answer
                raise CloudFrontError(400, "InvalidArgument", f"ldedge emulator: unsupported CloudFront call {method} {path}")
        except CloudFrontError as error:
            return self._error(error)

    def _error(self, error):
        request_id = _new_id("", 20)
        payload = error_xml("cloudfront", error.code, error.message, request_id, error.status)
        reason = {400: "Bad Request", 404: "Not Found", 409: "Conflict", 412: "Precondition Failed"}.get(error.status, "Error")
        return f"{error.status} {reason}", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id),
                                             ("Content-Length", str(len(payload)))], payload

    @staticmethod
    def _ok(status, document, etag=None, location=None):
        payload = ('<?xml version="1.0" encoding="UTF-8"?>\n' + document).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", _new_id("", 20)), ("Content-Length", str(len(payload)))]
        if etag:
            headers.append(("ETag", etag))
        if location:
            headers.append(("Location", location))
        return status, headers, payload

    # ------------------------------------------------------------ distributions

    def _parse_config(self, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError as error:
            raise CloudFrontError(400, "MalformedXML", f"The XML you provided was not well-formed: {error}")
        if _local(root.tag) != "DistributionConfig":
            raise CloudFrontError(400, "MalformedXML", f"expected DistributionConfig, got {_local(root.tag)}")
        for required in ("CallerReference", "Origins", "DefaultCacheBehavior", "Comment", "Enabled"):
            if _child(root, required) is None:
                raise CloudFrontError(400, "MalformedXML", f"1 validation error detected: Value null at '{required}' failed to satisfy constraint: Member must not be null")
        origin_ids = [_text(o, "Id") for o in (_path(root, "Origins", "Items") or [])]
        if not origin_ids:
            raise CloudFrontError(400, "InvalidArgument", "The parameter Origins must contain at least one origin.")
        for origin in _path(root, "Origins", "Items") or []:
            oac = _text(origin, "OriginAccessControlId")
            if oac and oac not in self.oacs:
                raise CloudFrontError(400, "NoSuchOriginAccessControl", f"The specified origin access control does not exist: {oac}")
        for behavior in self._behaviors(root):
            target = _text(behavior, "TargetOriginId")
            if target not in origin_ids:
                raise CloudFrontError(400, "NoSuchOrigin", f"One or more of your origins or origin groups do not exist: {target}")
        for behavior in self._behaviors(root):
            self._validate_associations(behavior)
            try:  # CloudFront Functions (cloudfront_functions.py)
                self.functions.validate_associations(behavior)
            except Exception as error:
                raise CloudFrontError(getattr(error, "status", 400), getattr(error, "code", "InvalidArgument"), str(error))
        return root

    @staticmethod
    def _behaviors(root):
        behaviors = [_child(root, "DefaultCacheBehavior")]
        behaviors += list(_path(root, "CacheBehaviors", "Items") or [])
        return [b for b in behaviors if b is not None]

    def _associations(self, root):
        arns = []
        for behavior in self._behaviors(root):
            for association in _path(behavior, "LambdaFunctionAssociations", "Items") or []:
                arns.append((_text(association, "LambdaFunctionARN"), _text(association, "EventType")))
        return arns

    def _validate_associations(self, behavior):
        items = list(_path(behavior, "LambdaFunctionAssociations", "Items") or [])
        quantity = _text(behavior, "LambdaFunctionAssociations", "Quantity")
        if quantity is not None and int(quantity or 0) != len(items):
            raise CloudFrontError(400, "InvalidArgument", "LambdaFunctionAssociations Quantity does not match the number of Items.")
        events = [_text(i, "EventType") for i in items]
        if len(events) != len(set(events)):
            raise CloudFrontError(400, "InvalidArgument", "Only one Lambda function can be associated per event type.")
        for association in items:
            arn = _text(association, "LambdaFunctionARN") or ""
            event = _text(association, "EventType")
            if event not in VIEWER_EVENTS + ORIGIN_EVENTS:
                raise CloudFrontError(400, "InvalidArgument", f"Invalid EventType {event}.")
            self._validate_function(arn, event)

    def _validate_function(self, arn, event):
        def invalid(reason):
            raise CloudFrontError(400, "InvalidLambdaFunctionAssociation", f"{reason} ARN: {arn}")

        match = _ARN.match(arn)
        if not match:
            invalid("The function ARN must reference a specific function version. (The ARN must end with the version number.)")
        region, account, name, qualifier = match.groups()
        if qualifier is None or not qualifier.isdigit():
            invalid("The function ARN must reference a specific function version. (The ARN must end with the version number.)")
        if region != "us-east-1":
            invalid("The function must be in region 'us-east-1'.")
        from moto.awslambda.models import lambda_backends
        try:
            function = lambda_backends[account]["us-east-1"].get_function(name, qualifier)
        except Exception:  # moto raises its own not-found types
            function = None
        if function is None:
            invalid("The function does not exist or you do not have permission to access it.")
        runtime = function.run_time or ""
        if not (runtime.startswith("nodejs") or runtime.startswith("python")):
            invalid(f"The function runtime {runtime} is not supported by Lambda@Edge.")
        if function.environment_vars:
            invalid("The function cannot have environment variables.")
        if event in VIEWER_EVENTS:
            if function.timeout > 5:
                invalid("The function execution time limit for viewer events is 5 seconds.")
            if function.memory_size != 128:
                invalid("The function memory size for viewer events must be 128 MB.")
            if function.code_size > 1024 * 1024:
                invalid("The function code size for viewer events must be at most 1 MB.")
        else:
            if function.timeout > 30:
                invalid("The function execution time limit for origin events is 30 seconds.")
            if function.code_size > 50 * 1024 * 1024:
                invalid("The function code size for origin events must be at most 50 MB.")
        role_name = (function.role or "").split("/")[-1]
        from moto.iam.models import iam_backends
        try:
            role = iam_backends[account]["global"].get_role(role_name)
            trust = json.dumps(json.loads(role.assume_role_policy_document))
        except Exception:
            trust = ""
        if "edgelambda.amazonaws.com" not in trust or "lambda.amazonaws.com" not in trust:
            invalid("The function execution role must be assumable with edgelambda.amazonaws.com as well as lambda.amazonaws.com principals.")

    def _status(self, record):
        return "Deployed" if time.time() >= record["deployed_at"] else "InProgress"

    def _distribution_xml(self, record):
        invalidations = sum(1 for i in record["invalidations"].values() if time.time() < i["completed_at"])
        return (f'<Distribution xmlns="{NS}"><Id>{record["id"]}</Id>'
                f'<ARN>arn:aws:cloudfront::{DEFAULT_ACCOUNT_ID}:distribution/{record["id"]}</ARN>'
                f"<Status>{self._status(record)}</Status><LastModifiedTime>{record['modified']}</LastModifiedTime>"
                f"<InProgressInvalidationBatches>{invalidations}</InProgressInvalidationBatches>"
                f"<DomainName>{record['domain']}</DomainName>"
                "<ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedSigners>"
                "<ActiveTrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedKeyGroups>"
                f"{record['config']}</Distribution>")

    def _get(self, distribution_id):
        record = self.distributions.get(distribution_id)
        if record is None:
            raise CloudFrontError(404, "NoSuchDistribution", f"The specified distribution does not exist: {distribution_id}")
        return record

    def _release(self, before, after):
        gone = {arn for arn, _ in before} - {arn for arn, _ in after}
        for arn in gone:
            self.released[arn] = time.time() + self.options.replica_release_seconds

    def create_distribution(self, body):
        root = self._parse_config(body)
        caller = _text(root, "CallerReference")
        config = _strip_declaration(body)
        for record in self.distributions.values():
            if record["caller"] == caller:
                if record["config"] == config:
                    return self._ok("201 Created", self._distribution_xml(record), record["etag"])
                raise CloudFrontError(409, "DistributionAlreadyExists",
                                      f"The caller reference {caller} already exists with a different configuration: {record['id']}")
        distribution_id = _new_id()
        now = time.time()
        record = {"id": distribution_id, "caller": caller, "config": config, "etag": _new_id(),
                  "enabled": _text(root, "Enabled") == "true", "associations": self._associations(root),
                  "deployed_at": now + self.options.cloudfront_deploy_seconds, "modified": _now_iso(now),
                  "domain": f"d{_new_id('', 13).lower()}.cloudfront.net", "invalidations": {}}
        self.distributions[distribution_id] = record
        location = f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{distribution_id}"
        return self._ok("201 Created", self._distribution_xml(record), record["etag"], location)

    def list_distributions(self, query):
        ids = sorted(self.distributions)
        marker = query.get("Marker") or ""
        limit = int(query.get("MaxItems") or 100)
        remaining = [i for i in ids if i > marker] if marker else ids
        page, rest = remaining[:limit], remaining[limit:]
        items = ""
        for distribution_id in page:
            record = self.distributions[distribution_id]
            root = ET.fromstring(record["config"])
            items += (f"<DistributionSummary><Id>{record['id']}</Id>"
                      f"<ARN>arn:aws:cloudfront::{DEFAULT_ACCOUNT_ID}:distribution/{record['id']}</ARN>"
                      f"<Status>{self._status(record)}</Status><LastModifiedTime>{record['modified']}</LastModifiedTime>"
                      f"<DomainName>{record['domain']}</DomainName><Comment>{_esc(_text(root, 'Comment') or '')}</Comment>"
                      f"<Enabled>{'true' if record['enabled'] else 'false'}</Enabled></DistributionSummary>")
        next_marker = f"<NextMarker>{page[-1]}</NextMarker>" if rest else ""
        return self._ok("200 OK", f'<DistributionList xmlns="{NS}"><Marker>{marker}</Marker>{next_marker}<MaxItems>{limit}</MaxItems>'
                                  f"<IsTruncated>{'true' if rest else 'false'}</IsTruncated><Quantity>{len(page)}</Quantity>"
                                  f"<Items>{items}</Items></DistributionList>")

    def get_distribution(self, distribution_id):
        record = self._get(distribution_id)
        return self._ok("200 OK", self._distribution_xml(record), record["etag"])

    def get_config(self, distribution_id):
        record = self._get(distribution_id)
        return self._ok("200 OK", record["config"], record["etag"])

    def _check_if_match(self, record, if_match):
        if not if_match:
            raise CloudFrontError(400, "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
        if if_match != record["etag"]:
            raise CloudFrontError(412, "PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false.")

    def update_distribution(self, distribution_id, body, if_match):
        record = self._get(distribution_id)
        self._check_if_match(record, if_match)
        root = self._parse_config(body)
        if _text(root, "CallerReference") != record["caller"]:
            raise CloudFrontError(400, "IllegalUpdate", "The CallerReference of a distribution cannot be changed.")
        associations = self._associations(root)
        self._release(record["associations"], associations)
        now = time.time()
        record.update({"config": _strip_declaration(body), "etag": _new_id(), "enabled": _text(root, "Enabled") == "true",
                       "associations": associations, "deployed_at": now + self.options.cloudfront_deploy_seconds,
                       "modified": _now_iso(now)})
        return self._ok("200 OK", self._distribution_xml(record), record["etag"])

    def delete_distribution(self, distribution_id, if_match):
        record = self._get(distribution_id)
        self._check_if_match(record, if_match)
        if record["enabled"] or self._status(record) != "Deployed":
            raise CloudFrontError(409, "DistributionNotDisabled",
                                  "The distribution you are trying to delete has not been disabled.")
        self._release(record["associations"], [])
        del self.distributions[distribution_id]
        return "204 No Content", [("x-amzn-RequestId", _new_id("", 20)), ("Content-Length", "0")], b""

    def replicated_versions(self, function_name, qualifier):
        """Version ARNs of `function_name` CloudFront still replicates (blocking DeleteFunction)."""
        with self.lock:
            now = time.time()
            arns = {arn for record in self.distributions.values() for arn, _ in record["associations"]}
            arns |= {arn for arn, until in self.released.items() if until > now}
        blocking = []
        for arn in sorted(arns):
            match = _ARN.match(arn or "")
            if match and match.group(3) == function_name and (qualifier is None or match.group(4) == qualifier):
                blocking.append(arn)
        return blocking

    # ------------------------------------------------------------ invalidations

    def create_invalidation(self, distribution_id, body):
        record = self._get(distribution_id)
        try:
            root = ET.fromstring(body)
        except ET.ParseError as error:
            raise CloudFrontError(400, "MalformedXML", f"The XML you provided was not well-formed: {error}")
        paths = [p.text or "" for p in (_path(root, "Paths", "Items") or [])]
        if not paths:
            raise CloudFrontError(400, "InvalidArgument", "Your request contains no paths to invalidate.")
        invalidation_id = _new_id("I")
        now = time.time()
        record["invalidations"][invalidation_id] = {
            "id": invalidation_id, "paths": paths, "caller": _text(root, "CallerReference") or "",
            "created": _now_iso(now), "completed_at": now + self.options.cloudfront_deploy_seconds}
        location = f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{distribution_id}/invalidation/{invalidation_id}"
        return self._ok("201 Created", self._invalidation_xml(record["invalidations"][invalidation_id]), None, location)

    def _invalidation_xml(self, invalidation):
        status = "Completed" if time.time() >= invalidation["completed_at"] else "InProgress"
        items = "".join(f"<Path>{_esc(p)}</Path>" for p in invalidation["paths"])
        return (f'<Invalidation xmlns="{NS}"><Id>{invalidation["id"]}</Id><Status>{status}</Status>'
                f"<CreateTime>{invalidation['created']}</CreateTime><InvalidationBatch><Paths>"
                f"<Quantity>{len(invalidation['paths'])}</Quantity><Items>{items}</Items></Paths>"
                f"<CallerReference>{_esc(invalidation['caller'])}</CallerReference></InvalidationBatch></Invalidation>")

    def get_invalidation(self, distribution_id, invalidation_id):
        record = self._get(distribution_id)
        invalidation = record["invalidations"].get(invalidation_id)
        if invalidation is None:
            raise CloudFrontError(404, "NoSuchInvalidation", f"The specified invalidation does not exist: {invalidation_id}")
        return self._ok("200 OK", self._invalidation_xml(invalidation))

    # ------------------------------------------------------------ origin access control

    def create_oac(self, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError as error:
            raise CloudFrontError(400, "MalformedXML", f"The XML you provided was not well-formed: {error}")
        name = _text(root, "Name")
        if not name:
            raise CloudFrontError(400, "InvalidArgument", "OriginAccessControlConfig.Name is required.")
        if any(o["name"] == name for o in self.oacs.values()):
            raise CloudFrontError(409, "OriginAccessControlAlreadyExists", f"An origin access control with name {name} already exists.")
        if _text(root, "SigningProtocol") != "sigv4":
            raise CloudFrontError(400, "InvalidArgument", "SigningProtocol must be sigv4.")
        if _text(root, "SigningBehavior") not in ("always", "never", "no-override"):
            raise CloudFrontError(400, "InvalidArgument", "SigningBehavior must be always, never or no-override.")
        oac_id = _new_id()
        self.oacs[oac_id] = {"id": oac_id, "name": name, "config": _strip_declaration(body), "etag": _new_id()}
        return self._ok("201 Created", self._oac_xml(self.oacs[oac_id]), self.oacs[oac_id]["etag"],
                        f"https://cloudfront.amazonaws.com/2020-05-31/origin-access-control/{oac_id}")

    def _oac_xml(self, oac):
        return f'<OriginAccessControl xmlns="{NS}"><Id>{oac["id"]}</Id>{oac["config"]}</OriginAccessControl>'

    def get_oac(self, oac_id):
        oac = self.oacs.get(oac_id)
        if oac is None:
            raise CloudFrontError(404, "NoSuchOriginAccessControl", f"The specified origin access control does not exist: {oac_id}")
        return self._ok("200 OK", self._oac_xml(oac), oac["etag"])

    def list_oacs(self):
        items = "".join(
            f"<OriginAccessControlSummary><Id>{o['id']}</Id><Name>{_esc(o['name'])}</Name></OriginAccessControlSummary>"
            for o in self.oacs.values())
        return self._ok("200 OK", f'<OriginAccessControlList xmlns="{NS}"><Marker></Marker><MaxItems>100</MaxItems>'
                                  f"<IsTruncated>false</IsTruncated><Quantity>{len(self.oacs)}</Quantity><Items>{items}</Items>"
                                  "</OriginAccessControlList>")

    def delete_oac(self, oac_id, if_match):
        oac = self.oacs.get(oac_id)
        if oac is None:
            raise CloudFrontError(404, "NoSuchOriginAccessControl", f"The specified origin access control does not exist: {oac_id}")
        self._check_if_match(oac, if_match)
        for record in self.distributions.values():
            if oac_id in record["config"]:
                raise CloudFrontError(409, "OriginAccessControlInUse", f"The origin access control {oac_id} is in use by distribution {record['id']}.")
        del self.oacs[oac_id]
        return "204 No Content", [("x-amzn-RequestId", _new_id("", 20)), ("Content-Length", "0")], b""

    # ------------------------------------------------------------ inventory

    def inventory(self):
        with self.lock:
            distributions = {}
            for record in self.distributions.values():
                distributions[record["id"]] = {
                    "status": self._status(record), "enabled": record["enabled"], "etag": record["etag"],
                    "callerReference": record["caller"], "config": _canonical(record["config"]),
                    "lambdaAssociations": [{"arn": a, "eventType": e} for a, e in record["associations"]],
                }
            oacs = {o["id"]: {"name": o["name"]} for o in self.oacs.values()}
        functions = self.functions.inventory()
        return {"distributions": distributions, "originAccessControls": oacs,
                "cloudFrontFunctions": functions["functions"], "keyValueStores": functions["keyValueStores"]}
