"""WSGI layer in front of moto: routing, call log, fault injection, Lambda patches, inventory."""

import base64
import dataclasses
import io
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl

from moto.core import DEFAULT_ACCOUNT_ID

from cloudfront import CloudFront, error_xml
from iam_enforcement import IAMEnforcement
from operations import JSON_SERVICES, classify, is_mutating, region_of, service_of


@dataclass
class EmulatorOptions:
    cloudfront_deploy_seconds: float = 1.0
    lambda_ready_seconds: float = 0.3
    replica_release_seconds: float = 2.0
    iam_propagation_seconds: float = 0.0


VALID_RUNTIMES = {
    "nodejs18.x", "nodejs20.x", "nodejs22.x", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
    "java11", "java17", "java21", "java8.al2", "dotnet8", "ruby3.2", "ruby3.3", "provided.al2", "provided.al2023",
}
MAX_DIRECT_ZIP = 50 * 1024 * 1024


class Fault:
    def __init__(self, spec):
        self.service = spec.get("service")
        self.operation = spec.get("operation")
        self.status = int(spec.get("status", 500))
        self.code = spec.get("code", "InternalError")
        self.message = spec.get("message", "injected fault")
        self.remaining = int(spec.get("count", 1))
        self.retry_after = spec.get("retryAfter")
        # Matching calls to let through before failing (fault at the Nth call of an operation).
        self.skip = int(spec.get("skip", 0))
        # Only calls signed for this region (None = any), e.g. AccessDenied in one region.
        self.region = spec.get("region")

    def matches(self, service, operation, region=None):
        return ((self.service in (None, "*", service)) and (self.operation in (None, "*", operation))
                and (self.region in (None, "*", region)))


class Emulator:
    def __init__(self, moto_app, options: EmulatorOptions):
        self.moto = moto_app
        self.options = options
        self.initial_options = dataclasses.replace(options)
        self.lock = threading.RLock()
        self.cloudfront = CloudFront(options, self)
        self.iam = IAMEnforcement(self)
        self.reset_local_state()

    def reset_local_state(self):
        with self.lock:
            # Timing set through /ldedge-emulator/config lasts until the next reset.
            for field in dataclasses.fields(self.options):
                setattr(self.options, field.name, getattr(self.initial_options, field.name))
            self.faults = []
            self.calls = []
            self.lambda_busy_until = {}  # function name -> (kind, deadline)
            self.role_visible_at = {}  # role name -> time Lambda can assume it
            self.cloudfront.reset()
            self.iam.reset()

    # ---------------------------------------------------------------- WSGI

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        body = self._read_body(environ)
        if path.startswith("/ldedge-emulator/"):
            return self.control(method, path, body, start_response)
        if path == "/moto-api/reset" and method == "POST":
            self.reset_local_state()
            return self.moto(environ, start_response)
        if path.startswith("/moto-api"):
            return self.moto(environ, start_response)

        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        service = service_of(environ, body)
        operation = classify(service, method, path, query, body, environ)
        mutating = is_mutating(service, method, operation)
        with self.lock:
            self.calls.append({"service": service, "operation": operation, "method": method, "path": path,
                               "mutating": mutating, "time": time.time()})
            fault = self._take_fault(service, operation, region_of(environ))
        if fault is not None:
            return self.error(start_response, service, fault.status, fault.code, fault.message, fault.retry_after)
        denied = self.iam.check(environ, service, operation, method, path, query, body, region_of(environ))
        if denied is not None:
            return self.error(start_response, service, *denied)

        if service == "iam" and operation == "CreateRole" and self.options.iam_propagation_seconds > 0:
            params = dict(parse_qsl(body.decode("utf-8", "replace")))
            with self.lock:
                self.role_visible_at[params.get("RoleName", "")] = time.time() + self.options.iam_propagation_seconds
        if service == "ecs" and operation in ("CreateService", "UpdateService"):
            body = self.ecs_default_security_groups(body, region_of(environ))
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        if service == "cloudfront":
            status, headers, payload = self.cloudfront.handle(method, path, query, body, environ)
            start_response(status, headers)
            return [payload]
        if service == "cloudfront-keyvaluestore":  # cloudfront_functions.py: the KeyValueStore data plane
            raw_path = environ.get("RAW_URI", path).split("?", 1)[0]
            status, headers, payload = self.cloudfront.functions.handle_data(method, raw_path, environ.get("QUERY_STRING", ""), query, body, environ)
            start_response(status, headers)
            return [payload]
        if service == "lambda":
            early = self.lambda_before(operation, path, query, body, region_of(environ))
            if early is not None:
                status, code, message = early
                return self.error(start_response, service, status, code, message)
            status, headers, payload = self.call_moto(environ)
            status, headers, payload = self.lambda_after(operation, path, status, headers, payload)
            start_response(status, headers)
            return [payload]
        return self.moto(environ, start_response)

    @staticmethod
    def _read_body(environ):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        if stream is None:
            data = b""
        elif length > 0:
            data = stream.read(length)
        elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
            data = stream.read()
        else:
            data = b""
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        return data

    def call_moto(self, environ):
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        chunks = self.moto(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return captured["status"], list(captured["headers"]), payload

    def _take_fault(self, service, operation, region=None):
        for fault in self.faults:
            if fault.remaining > 0 and fault.matches(service, operation, region):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.remaining -= 1
                return fault
        return None

    # ---------------------------------------------------------------- errors

    def error(self, start_response, service, status, code, message, retry_after=None):
        request_id = str(uuid.uuid4())
        reason = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 412: "Precondition Failed",
                  413: "Request Entity Too Large", 429: "Too Many Requests", 500: "Internal Server Error",
                  502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}.get(status, "Error")
        if service == "lambda":
            payload = json.dumps({"Type": "User" if status < 500 else "Service", "Message": message, "message": message}).encode()
            headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)]
        elif service in JSON_SERVICES:
            payload = json.dumps({"__type": code, "message": message}).encode()
            headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)]
        elif service == "s3":
            payload = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{_esc(message)}</Message>'
                       f"<RequestId>{request_id}</RequestId></Error>").encode()
            headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
        else:
            payload = error_xml(service, code, message, request_id, status)
            headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
        if retry_after is not None:
            headers.append(("Retry-After", str(retry_after)))
        headers.append(("Content-Length", str(len(payload))))
        start_response(f"{status} {reason}", headers)
        return [payload]

    # ---------------------------------------------------------------- ECS patches

    @staticmethod
    def ecs_default_security_groups(body, region):
        """AWS gives awsvpc tasks without securityGroups the VPC's default group; moto fails with a KeyError."""
        try:
            spec = json.loads(body or b"{}")
            vpc_config = spec["networkConfiguration"]["awsvpcConfiguration"]
        except (ValueError, KeyError, TypeError):
            return body
        if vpc_config.get("securityGroups") or not vpc_config.get("subnets"):
            return body
        from moto.ec2.models import ec2_backends
        backend = ec2_backends[DEFAULT_ACCOUNT_ID][region]
        try:
            vpc_id = backend.get_subnet(vpc_config["subnets"][0]).vpc_id
            group = backend.get_default_security_group(vpc_id)
        except Exception:  # an unknown subnet: let moto answer InvalidParameterException
            return body
        vpc_config["securityGroups"] = [group.id] if group is not None else []
        return json.dumps(spec).encode()

    # ---------------------------------------------------------------- Lambda patches

    def _function_name(self, path):
        match = re.match(r"^/2015-03-31/functions/([^/]+)", path)
        if not match:
            return None
        name = match.group(1)
        if name.startswith("arn:"):
            parts = name.split(":")
            name = parts[6] if len(parts) > 6 else name
        return name

    @staticmethod
    def _moto_function(name, region):
        from moto.awslambda.models import lambda_backends
        try:
            return lambda_backends[DEFAULT_ACCOUNT_ID][region].get_function(name, None)
        except Exception:  # moto raises its own not-found types; let moto answer
            return None

    def _busy(self, name):
        with self.lock:
            entry = self.lambda_busy_until.get(name)
            if entry and entry[1] > time.time():
                return entry[0]
            return None

    def lambda_before(self, operation, path, query, body, region):
        name = self._function_name(path)
        if operation == "CreateFunction":
            try:
                spec = json.loads(body or b"{}")
            except ValueError:
                return 400, "InvalidRequestContentException", "Could not parse request body into json"
            runtime = spec.get("Runtime")
            if spec.get("PackageType", "Zip") == "Zip" and runtime not in VALID_RUNTIMES:
                return 400, "InvalidParameterValueException", (
                    f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
                    f"{sorted(VALID_RUNTIMES)}")
            role_name = str(spec.get("Role", "")).split("/")[-1]
            with self.lock:
                visible_at = self.role_visible_at.get(role_name, 0)
            if time.time() < visible_at:
                return 400, "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda."
            zipped = (spec.get("Code") or {}).get("ZipFile")
            if zipped and len(base64.b64decode(zipped)) > MAX_DIRECT_ZIP:
                return 413, "RequestEntityTooLargeException", "Request must be smaller than 52428800 bytes for the CreateFunction operation"
        if operation == "UpdateFunctionCode":
            try:
                spec = json.loads(body or b"{}")
            except ValueError:
                spec = {}
            zipped = spec.get("ZipFile")
            if zipped and len(base64.b64decode(zipped)) > MAX_DIRECT_ZIP:
                return 413, "RequestEntityTooLargeException", "Request must be smaller than 52428800 bytes for the UpdateFunctionCode operation"
        if operation in ("UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion") and name:
            busy = self._busy(name)
            if busy:
                arn = f"arn:aws:lambda:us-east-1:{DEFAULT_ACCOUNT_ID}:function:{name}"
                return 409, "ResourceConflictException", (
                    f"The operation cannot be performed at this time. An update is in progress for resource: {arn}"
                    if busy == "update" else
                    f"The operation cannot be performed at this time. The function is currently in the following state: Pending")
        if operation == "PublishVersion" and name:
            try:
                spec = json.loads(body or b"{}")
            except ValueError:
                spec = {}
            current = self._moto_function(name, region)
            if current is not None:
                wanted = spec.get("CodeSha256")
                if wanted and wanted != current.code_sha_256:
                    return 400, "InvalidParameterValueException", (
                        f"CodeSHA256 ({wanted}) is different from current CodeSHA256 in $LATEST ({current.code_sha_256}). "
                        "Please try again with the current CodeSHA256.")
                revision = spec.get("RevisionId")
                if revision and revision != getattr(current, "revision_id", revision):
                    return 412, "PreconditionFailedException", (
                        "The Revision Id provided does not match the latest Revision Id. "
                        "Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
        if operation == "DeleteFunction" and name:
            blocking = self.cloudfront.replicated_versions(name, query.get("Qualifier"))
            if blocking:
                return 400, "InvalidParameterValueException", (
                    f"Lambda was unable to delete {blocking[0]} because it is a replicated function. "
                    "Please see our documentation for Deleting Lambda@Edge Functions and Replicas.")
        return None

    def lambda_after(self, operation, path, status, headers, payload):
        if not status.startswith("2") or not payload:
            return status, headers, payload
        name = self._function_name(path)
        ready = self.options.lambda_ready_seconds
        try:
            document = json.loads(payload)
        except ValueError:
            return status, headers, payload
        changed = False
        if operation == "CreateFunction" and ready > 0:
            name = document.get("FunctionName", name)
            with self.lock:
                self.lambda_busy_until[name] = ("create", time.time() + ready)
        elif operation in ("UpdateFunctionCode", "UpdateFunctionConfiguration") and ready > 0 and name:
            with self.lock:
                self.lambda_busy_until[name] = ("update", time.time() + ready)

        if operation in ("CreateFunction", "GetFunction", "GetFunctionConfiguration", "UpdateFunctionCode", "UpdateFunctionConfiguration"):
            configuration = document.get("Configuration", document)
            if configuration.get("Version", "$LATEST") == "$LATEST":
                busy = self._busy(configuration.get("FunctionName", name))
                if busy == "create":
                    configuration.update({"State": "Pending", "StateReason": "The function is being created.",
                                          "StateReasonCode": "Creating", "LastUpdateStatus": "InProgress"})
                    changed = True
                elif busy == "update":
                    configuration.update({"State": "Active", "LastUpdateStatus": "InProgress",
                                          "LastUpdateStatusReason": "The function is being updated.",
                                          "LastUpdateStatusReasonCode": "Updating"})
                    changed = True
                else:
                    configuration.setdefault("LastUpdateStatus", "Successful")
        if not changed:
            return status, headers, payload
        payload = json.dumps(document).encode()
        headers = [(k, v) for (k, v) in headers if k.lower() != "content-length"] + [("Content-Length", str(len(payload)))]
        return status, headers, payload

    # ---------------------------------------------------------------- control endpoints

    def control(self, method, path, body, start_response):
        def reply(document, status="200 OK"):
            payload = json.dumps(document, indent=1, sort_keys=True).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]

        try:
            spec = json.loads(body) if body else {}
        except ValueError:
            return reply({"error": "body is not JSON"}, "400 Bad Request")
        if path == "/ldedge-emulator/health":
            return reply({"ok": True})
        if path == "/ldedge-emulator/reset" and method == "POST":
            from moto.moto_api._internal.models import moto_api_backend
            moto_api_backend.reset()
            self.reset_local_state()
            return reply({"reset": True})
        if path == "/ldedge-emulator/faults" and method == "POST":
            with self.lock:
                self.faults.append(Fault(spec))
            return reply({"queued": True})
        if path == "/ldedge-emulator/faults" and method == "DELETE":
            with self.lock:
                self.faults = []
            return reply({"cleared": True})
        if path == "/ldedge-emulator/calls" and method == "GET":
            with self.lock:
                return reply({"calls": list(self.calls)})
        if path == "/ldedge-emulator/calls" and method == "DELETE":
            with self.lock:
                self.calls = []
            return reply({"cleared": True})
        if path == "/ldedge-emulator/config" and method == "POST":
            for key, attribute in (("cloudfrontDeploySeconds", "cloudfront_deploy_seconds"),
                                   ("lambdaReadySeconds", "lambda_ready_seconds"),
                                   ("replicaReleaseSeconds", "replica_release_seconds"),
                                   ("iamPropagationSeconds", "iam_propagation_seconds")):
                if key in spec:
                    setattr(self.options, attribute, float(spec[key]))
            return reply({"cloudfrontDeploySeconds": self.options.cloudfront_deploy_seconds,
                          "lambdaReadySeconds": self.options.lambda_ready_seconds,
                          "replicaReleaseSeconds": self.options.replica_release_seconds,
                          "iamPropagationSeconds": self.options.iam_propagation_seconds})
        if path == "/ldedge-emulator/iam":
            return reply(self.iam.control(method, spec))
        if path == "/ldedge-emulator/sigv4a":  # secrets to verify SigV4A with; the verification counts
            return reply(self.cloudfront.functions.control(method, body))
        if path == "/ldedge-emulator/inventory" and method == "GET":
            return reply(self.inventory())
        return reply({"error": f"unknown control endpoint {method} {path}"}, "404 Not Found")

    def inventory(self):
        from moto.awslambda.models import lambda_backends
        from moto.iam.models import iam_backends
        from moto.s3.models import s3_backends

        account = DEFAULT_ACCOUNT_ID
        buckets = {}
        s3 = s3_backends[account]["global"]
        for name, bucket in sorted(s3.buckets.items()):
            objects = {}
            for key in bucket.keys.values():
                # A versioned bucket's deleted key is a delete marker: not an object.
                if key is None or getattr(key, "name", None) is None or type(key).__name__ == "FakeDeleteMarker":
                    continue
                objects[key.name] = {"etag": key.etag, "size": key.size,
                                     "contentType": (key.metadata or {}).get("Content-Type")}
            policy = bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy
            buckets[name] = {"objects": objects, "policy": policy,
                             "publicAccessBlock": bucket.public_access_block is not None}
        roles = {}
        for role in iam_backends[account]["global"].roles.values():
            roles[role.name] = {
                "arn": role.arn,
                "trustPolicy": role.assume_role_policy_document,
                "attachedPolicies": sorted(role.managed_policies.keys()),
                "inlinePolicies": {k: v for k, v in sorted(role.policies.items())},
            }
        functions = {}
        for region, backend in list(lambda_backends[account].items()):
            for function in backend.list_functions():
                versions = [str(v.version) for v in backend.list_versions_by_function(function.function_name)]
                functions[function.function_name] = {
                    "region": region, "codeSha256": function.code_sha_256, "versions": versions,
                    "runtime": function.run_time, "memorySize": function.memory_size, "timeout": function.timeout,
                }
        cloudfront = self.cloudfront.inventory()
        return {"buckets": buckets, "roles": roles, "functions": functions, **cloudfront, **self.relay_inventory()}

    @staticmethod
    def relay_inventory():
        """What the relay-proxy step creates: live tables, secrets (not scheduled for deletion), ACTIVE ECS resources."""
        from moto.dynamodb.models import dynamodb_backends
        from moto.ecs.models import ecs_backends
        from moto.secretsmanager.models import secretsmanager_backends

        account = DEFAULT_ACCOUNT_ID
        tables, secrets, clusters, services, task_definitions = {}, {}, {}, {}, {}
        for region, backend in list(dynamodb_backends[account].items()):
            for name, table in backend.tables.items():
                tables[name] = {"region": region, "arn": table.table_arn, "itemCount": len(list(table.all_items()))}
        for region, backend in list(secretsmanager_backends[account].items()):
            for name, secret in list(backend.secrets.items()):
                if getattr(secret, "deleted_date", None) is None:
                    secrets[secret.name] = {"region": region, "arn": secret.arn}
        for region, backend in list(ecs_backends[account].items()):
            for name, cluster in backend.clusters.items():
                if cluster.status != "INACTIVE":
                    clusters[name] = {"region": region, "arn": cluster.arn}
            for pair, service in backend.services.items():
                if service.status != "INACTIVE":
                    services[pair] = {"region": region, "desiredCount": service.desired_count,
                                      "taskDefinition": service.task_definition}
            for family, revisions in backend.task_definitions.items():
                for revision, definition in revisions.items():
                    if definition.status == "ACTIVE":
                        task_definitions[f"{family}:{revision}"] = {"region": region, "arn": definition.arn}
        return {"tables": tables, "secrets": secrets, "ecsClusters": clusters, "ecsServices": services,
                "taskDefinitions": task_definitions}


def _esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _patch_version_numbers():
    """Lambda never reuses a version number; moto numbers a new version len(versions) + 1, so after a
    deleted version it would publish a duplicate. Number from the highest ever published instead."""
    from moto.awslambda.models import LambdaStorage

    original = LambdaStorage.publish_version

    def publish_version(self, name_or_arn, description=""):
        function = self.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
        name = function.function_name
        versions = self._functions.get(name, {}).get("versions", [])
        highest = self.__dict__.setdefault("_ldedge_highest_version", {})
        known = max([int(v.version) for v in versions] + [highest.get(name, 0)])
        count = len(versions)
        published = original(self, name_or_arn, description)
        if published is not None and len(versions) > count and int(published.version) <= known:
            # A new version got a number already used: give it the next unused one.
            self._arns.pop(published.function_arn, None)
            published.set_version(known + 1)
            self._arns[published.function_arn] = published
        if published is not None:
            highest[name] = max(highest.get(name, 0), int(published.version))
        return published

    LambdaStorage.publish_version = publish_version


_patch_version_numbers()
