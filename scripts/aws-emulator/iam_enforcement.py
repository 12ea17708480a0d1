"""IAM enforcement for non-administrator principals (moto's own does not map REST calls reliably).

A request signed with the access key of an IAM user created in the emulator is checked against that
user's policies (inline, attached, and its groups'): each request is mapped to the IAM actions AWS
authorizes for it (operations.py names the operation, as in botocore's service models; the
exceptions AWS documents, such as S3's ListObjectsV2 -> s3:ListBucket, are listed below) and to the
resource ARN, and is refused with the service's own AccessDenied answer unless an Allow matches and
no Deny does. Unknown access keys (the tests' and demo's `x`) keep administrator access.

CloudFront calls that create or remove a Lambda@Edge association also need, on the caller,
lambda:GetFunction and lambda:EnableReplication* (added) or lambda:DisableReplication* (removed) on
the version ARN, and iam:CreateServiceLinkedRole for the replicator role (AWS: "Set up IAM
permissions and roles for Lambda@Edge").

Control (/ldedge-emulator/iam): POST {"enforce": false} switches enforcement off (on by default);
POST {"user": NAME, "policy": DOCUMENT} creates the user (once, with one access key) and sets its only
inline policy, answering its keys; GET lists every decision made for a user since the last DELETE;
POST {"necessary": DOCUMENT} answers, for each statement, the allowed decisions that the document
without that statement would refuse (empty: the statement was not needed by what ran).
"""

import json
import re
import threading
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, unquote

from moto.core import DEFAULT_ACCOUNT_ID

from iam_evaluation import allowed, as_list, statement_matches

_KEY = re.compile(r"Credential=([A-Z0-9]+)/")
_PREFIX = {"monitoring": "cloudwatch"}  # SigV4 service name -> IAM service prefix, where they differ
# Operations whose IAM action is not service:Operation (AWS's documented mappings).
_ACTIONS = {
    ("s3", "ListObjectsV2"): "ListBucket", ("s3", "ListObjects"): "ListBucket", ("s3", "HeadBucket"): "ListBucket",
    ("s3", "HeadObject"): "GetObject", ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "CreateMultipartUpload"): "PutObject", ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject", ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "PutPublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "DeletePublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("lambda", "Invoke"): "InvokeFunction",
}
# S3 bucket sub-resources operations.py does not name.
_S3_SUBRESOURCES = {
    ("GET", "versioning"): "GetBucketVersioning", ("PUT", "versioning"): "PutBucketVersioning",
    ("GET", "location"): "GetBucketLocation", ("GET", "tagging"): "GetBucketTagging",
    ("PUT", "tagging"): "PutBucketTagging", ("GET", "encryption"): "GetEncryptionConfiguration",
    ("PUT", "encryption"): "PutEncryptionConfiguration", ("GET", "ownershipControls"): "GetBucketOwnershipControls",
    ("PUT", "ownershipControls"): "PutBucketOwnershipControls", ("GET", "acl"): "GetBucketAcl",
    ("PUT", "acl"): "PutBucketAcl", ("GET", "cors"): "GetBucketCORS", ("PUT", "cors"): "PutBucketCORS",
    ("GET", "website"): "GetBucketWebsite", ("PUT", "website"): "PutBucketWebsite",
}
_ALWAYS_ALLOWED = {("sts", "GetCallerIdentity"), ("sts", "AssumeRoleWithWebIdentity")}
_REPLICATOR = "replicator.lambda.amazonaws.com"


class Denied(Exception):
    def __init__(self, action, resource, principal):
        super().__init__(action)
        self.action, self.resource, self.principal = action, resource, principal


class IAMEnforcement:
    def __init__(self, emulator):
        self.emulator = emulator
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.enforce = True
            self.decisions = []

    def control(self, method, spec):
        if method == "DELETE":
            with self.lock:
                self.decisions = []
        if method == "POST" and "enforce" in spec:
            self.enforce = bool(spec["enforce"])
        if method == "POST" and "user" in spec:
            return self._set_user(spec["user"], spec.get("policy") or {"Version": "2012-10-17", "Statement": []})
        if method == "POST" and "necessary" in spec:
            return {"statements": self._necessary(spec["necessary"])}
        with self.lock:
            return {"enforce": self.enforce, "decisions": list(self.decisions)}

    @staticmethod
    def _set_user(name, policy):
        from moto.iam.models import iam_backends
        backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
        user = backend.users.get(name) or backend.create_user("us-east-1", name)
        key = user.access_keys[0] if user.access_keys else backend.create_access_key(name)
        for existing in list(user.policies):
            backend.delete_user_policy(name, existing)
        backend.put_user_policy(name, "ldedge", json.dumps(policy))
        return {"user": name, "arn": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user/{name}",
                "accessKeyId": key.access_key_id, "secretAccessKey": key.secret_access_key}

    def _necessary(self, policy):
        with self.lock:
            allowed_ones = {(d["action"], d["resource"], json.dumps(d["context"], sort_keys=True))
                            for d in self.decisions if d["allowed"]}
        statements = as_list(policy.get("Statement"))
        result = []
        for index, statement in enumerate(statements):
            rest = dict(policy, Statement=[s for i, s in enumerate(statements) if i != index])
            refused = sorted({(action, resource) for action, resource, context in allowed_ones
                              if statement_matches(statement, action, resource, json.loads(context))
                              and not allowed([rest], action, resource, json.loads(context))})
            result.append({"sid": statement.get("Sid"), "deniedWithout": [{"action": a, "resource": r} for a, r in refused]})
        return result

    # ------------------------------------------------------------ the hook

    def check(self, environ, service, operation, method, path, query, body, region):
        """None when the request may proceed, else (status, code, message) in the service's shape."""
        if not self.enforce or (service, operation) in _ALWAYS_ALLOWED:
            return None
        user = self._user(environ)
        if user is None:
            return None
        principal = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:user{user.path}{user.name}"
        policies = _policies(user)
        try:
            for action, resource, context in self.requirements(service, operation, method, path, query, body, region, environ):
                verdict = allowed(policies, action, resource, context)
                with self.lock:
                    self.decisions.append({"user": user.name, "operation": f"{service}:{operation}", "action": action,
                                           "resource": resource, "context": context, "allowed": verdict})
                if not verdict:
                    raise Denied(action, resource, principal)
        except Denied as denied:
            message = (f"User: {denied.principal} is not authorized to perform: {denied.action} on resource: "
                       f"{denied.resource} because no identity-based policy allows the {denied.action} action")
            code = {"s3": "AccessDenied", "cloudfront": "AccessDenied", "iam": "AccessDenied", "sts": "AccessDenied",
                    "monitoring": "AccessDenied", "ec2": "UnauthorizedOperation"}.get(service, "AccessDeniedException")
            return 403, code, message
        return None

    @staticmethod
    def _user(environ):
        match = _KEY.search(environ.get("HTTP_AUTHORIZATION", "")) or _KEY.search(
            unquote(environ.get("QUERY_STRING", "")))
        if not match:
            return None
        from moto.iam.models import iam_backends
        backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
        for user in list(backend.users.values()):
            if any(key.access_key_id == match.group(1) for key in user.access_keys):
                return user
        return None

    # ------------------------------------------------------------ request -> (action, resource, context)

    def requirements(self, service, operation, method, path, query, body, region, environ):
        account = DEFAULT_ACCOUNT_ID
        prefix = _PREFIX.get(service, service)
        if service == "s3":
            return self._s3(operation, method, path, query, body, environ)
        if service == "cloudfront":
            return self._cloudfront(operation, path, body, account)
        action = f"{prefix}:{_ACTIONS.get((service, operation), operation)}"
        if service == "lambda":
            return self._lambda(action, operation, path, query, body, region, account)
        if service in ("iam", "sts"):
            params = dict(parse_qsl((body or b"").decode("utf-8", "replace")))
            params.update(query)
            if service == "sts":
                return [(action, params.get("RoleArn", "*"), {})]
            if params.get("RoleName"):
                return [(action, f"arn:aws:iam::{account}:role/{params['RoleName']}", {})]
            return [(action, "*", {})]
        if service in ("dynamodb", "secretsmanager", "ecs", "logs"):
            try:
                spec = json.loads(body or b"{}")
            except ValueError:
                spec = {}
            return self._json(service, operation, action, spec, region, account)
        return [(action, "*", {})]

    @staticmethod
    def _s3(operation, method, path, query, body, environ):
        host = environ.get("HTTP_HOST", "")
        match = re.match(r"^([a-z0-9.-]+)\.s3[.-]", host) or re.match(r"^([a-z0-9.-]+)\.localhost", host)
        if match:
            bucket, key = match.group(1), unquote(path.lstrip("/"))
        else:
            parts = path.lstrip("/").split("/", 1)
            bucket, key = parts[0], unquote(parts[1]) if len(parts) > 1 else ""
        if not key:
            for (verb, sub), name in _S3_SUBRESOURCES.items():
                if verb == method and sub in query:
                    operation = name
        if operation == "ListBuckets":
            return [("s3:ListAllMyBuckets", "*", {})]
        bucket_arn = f"arn:aws:s3:::{bucket}"
        if operation == "DeleteObjects":
            keys = []
            try:
                for element in ET.fromstring(body or b"<Delete/>").iter():
                    if element.tag.split("}")[-1] == "Key" and element.text:
                        keys.append(element.text)
            except ET.ParseError:
                pass
            return [("s3:DeleteObject", f"{bucket_arn}/{k}", {}) for k in keys] or [("s3:DeleteObject", f"{bucket_arn}/*", {})]
        action = _ACTIONS.get(("s3", operation), operation)
        if "versionId" in query and action in ("GetObject", "DeleteObject"):
            action += "Version"
        if operation == "CopyObject":
            source = unquote(environ.get("HTTP_X_AMZ_COPY_SOURCE", "")).lstrip("/").split("?")[0]
            return [("s3:GetObject", f"arn:aws:s3:::{source}", {}), ("s3:PutObject", f"{bucket_arn}/{key}", {})]
        if key:
            return [(f"s3:{action}", f"{bucket_arn}/{key}", {})]
        context = {"s3:prefix": query["prefix"]} if "prefix" in query else {}
        return [(f"s3:{action}", bucket_arn, context)]

    def _lambda(self, action, operation, path, query, body, region, account):
        match = re.match(r"^/2015-03-31/functions/([^/?]+)", path)
        if not match and operation != "CreateFunction":
            return [(action, "*", {})]
        name = unquote(match.group(1)) if match else ""
        if name.startswith("arn:"):
            parts = name.split(":")
            name = parts[6] if len(parts) > 6 else name
            if len(parts) > 7 and "Qualifier" not in query:
                query = dict(query, Qualifier=parts[7])
        if operation == "CreateFunction":
            try:
                spec = json.loads(body or b"{}")
            except ValueError:
                spec = {}
            name = spec.get("FunctionName", name)
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
        if query.get("Qualifier"):
            arn += f":{query['Qualifier']}"
        needs = [(action, arn, {})]
        if operation in ("CreateFunction", "UpdateFunctionConfiguration"):
            try:
                role = json.loads(body or b"{}").get("Role")
            except ValueError:
                role = None
            if role:
                needs.append(("iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"}))
        return needs

    def _cloudfront(self, operation, path, body, account):
        action = f"cloudfront:{operation}"
        match = re.match(r"^/2020-05-31/(distribution|origin-access-control)/([^/]+)", path)
        if operation == "CreateDistribution":
            # Authorized on the new distribution's ARN; its id is CloudFront's choice.
            needs = [(action, f"arn:aws:cloudfront::{account}:distribution/ENEWDISTRIBUTION", {})]
        elif operation in ("ListDistributions", "CreateOriginAccessControl", "ListOriginAccessControls"):
            needs = [(action, "*", {})]
        elif match:
            needs = [(action, f"arn:aws:cloudfront::{account}:{match.group(1)}/{match.group(2)}", {})]
        else:
            needs = [(action, "*", {})]
        if operation in ("CreateDistribution", "UpdateDistribution"):
            needs += self._edge_associations(match.group(2) if match else None, body, account)
        return needs

    def _edge_associations(self, distribution_id, body, account):
        """What Lambda@Edge checks on the caller when an association is added or removed."""
        cloudfront = self.emulator.cloudfront
        try:
            after = {arn for arn, _ in cloudfront._associations(ET.fromstring(body or b""))}
        except ET.ParseError:
            return []
        with cloudfront.lock:
            record = cloudfront.distributions.get(distribution_id) if distribution_id else None
            before = {arn for arn, _ in record["associations"]} if record else set()
        needs = []
        for arn in sorted(after - before):
            needs += [("lambda:GetFunction", arn, {}), ("lambda:EnableReplication", arn, {}),
                      ("iam:CreateServiceLinkedRole",
                       f"arn:aws:iam::{account}:role/aws-service-role/{_REPLICATOR}/AWSServiceRoleForLambdaReplicator",
                       {"iam:AWSServiceName": _REPLICATOR})]
        for arn in sorted(before - after):
            needs.append(("lambda:DisableReplication", arn, {}))
        return needs

    @staticmethod
    def _json(service, operation, action, spec, region, account):
        if service == "dynamodb":
            table = spec.get("TableName", "*")
            return [(action, f"arn:aws:dynamodb:{region}:{account}:table/{table}", {})]
        if service == "secretsmanager":
            secret = spec.get("SecretId") or spec.get("Name") or "*"
            if not secret.startswith("arn:"):
                secret = _secret_arn(secret, region, account)
            return [(action, secret, {})]
        if service == "logs":
            group = spec.get("logGroupName")
            if operation.startswith("Describe") or not group:
                return [(action, "*", {})]
            return [(action, f"arn:aws:logs:{region}:{account}:log-group:{group}:*", {})]
        if service == "ecs":
            cluster = _last(spec.get("cluster") or "default")
            base = f"arn:aws:ecs:{region}:{account}"
            if operation in ("CreateCluster",):
                return [(action, f"{base}:cluster/{spec.get('clusterName', 'default')}", {})]
            if operation in ("DeleteCluster",):
                return [(action, f"{base}:cluster/{cluster}", {})]
            if operation == "DescribeClusters":
                return [(action, f"{base}:cluster/{_last(c)}", {}) for c in spec.get("clusters") or ["default"]]
            if operation in ("CreateService",):
                return [(action, f"{base}:service/{cluster}/{spec.get('serviceName', '')}", {})] + _pass_roles(spec)
            if operation in ("UpdateService", "DeleteService"):
                return [(action, f"{base}:service/{cluster}/{_last(spec.get('service', ''))}", {})]
            if operation == "DescribeServices":
                return [(action, f"{base}:service/{cluster}/{_last(s)}", {}) for s in spec.get("services") or []]
            if operation == "RegisterTaskDefinition":
                return [(action, f"{base}:task-definition/{spec.get('family', '')}:*", {})] + _pass_roles(spec)
            return [(action, "*", {})]
        return [(action, "*", {})]


def _last(arn_or_name):
    return str(arn_or_name).rsplit("/", 1)[-1]


def _pass_roles(spec):
    roles = [spec.get(k) for k in ("executionRoleArn", "taskRoleArn", "role") if spec.get(k)]
    return [("iam:PassRole", role, {"iam:PassedToService": "ecs-tasks.amazonaws.com"}) for role in roles]


def _secret_arn(name, region, account):
    from moto.secretsmanager.models import secretsmanager_backends
    try:
        secret = secretsmanager_backends[account][region].secrets.get(name)
        if secret is not None:
            return secret.arn
    except Exception:  # an unknown region: the name with AWS's suffix shape
        pass
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf"


# ---------------------------------------------------------------- the user's policies


def _policies(user):
    """Every policy document that applies to the user: inline, attached, and its groups'."""
    from moto.iam.models import iam_backends
    documents = list(user.policies.values())
    documents += [_default(policy) or "" for policy in user.managed_policies.values()]
    backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    for group in backend.groups.values():
        if user in getattr(group, "users", []):
            documents += list(group.policies.values())
            documents += [_default(policy) or "" for policy in group.managed_policies.values()]
    parsed = []
    for document in documents:
        try:
            parsed.append(json.loads(unquote(document)) if isinstance(document, str) else document)
        except ValueError:
            continue
    return parsed


def _default(policy):
    for version in policy.versions:
        if version.is_default:
            return version.document
    return None
