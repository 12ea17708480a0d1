#!/usr/bin/env python3
"""Handler cold start and warm latency through the local Lambda-like runner, all in one run:

- guide pattern: the LaunchDarkly guide's handler (init, wait for initialization, variation), the
  same SDK version from the same package;
- ldedge handler: templates/handler-python as build-handler packages it, LaunchDarkly up;
- snapshot fallback: the same package with LaunchDarkly down (connection refused);
- default fallback: LaunchDarkly down, `fallback: default` (the old site);
- daemon mode (--daemon): `dataSource: dynamodb` on a moto DynamoDB table written by the SDK's own
  DynamoDB store, boto3 from the runner's Python as the Lambda runtime provides it.

Cold start = process start to the first response, in a fresh `python -I -S -B` (only the unzipped
package and the standard library on sys.path, as in Lambda's read-only /var/task); cold starts
of all variants are interleaved and the median is reported. While measuring cold starts the flag
serves 100% true, and every first response must be the new site (the flag's CURRENT targeting).
Warm = time inside the handler over --invocations random client IPs at 50/50.

    Benchmarks/handler/bench.py [--python python3.12] [--invocations 10000] [--colds 9] [--daemon] [--bytecode handler|all|none] [--zip PACKAGE.zip]

--python is the function's runtime interpreter (default LDEDGE_PYTHON, else python3.12 if it runs,
else this Python); dependencies are installed for its version and bytecode is compiled with it,
as build-handler does when the build machine has the runtime's Python.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RUNNER = os.path.join(REPO, "scripts", "handler-runner", "runner.py")
ENDPOINT = os.path.join(REPO, "scripts", "handler-runner", "sdk_endpoint.py")
TEMPLATE = os.path.join(REPO, "templates", "handler-python")
SDK_KEY = "sdk-bench-0123456789abcdef"


def flag_data(percent, version=1):
    weight = int(percent * 1000)
    return {"flags": {"rebrand": {
        "key": "rebrand", "version": version, "on": True, "salt": "rebrand-salt", "variations": [False, True], "offVariation": 0,
        "fallthrough": {"rollout": {"variations": [{"variation": 0, "weight": 100000 - weight}, {"variation": 1, "weight": weight}]}},
        "targets": [], "contextTargets": [], "rules": [], "prerequisites": [], "trackEvents": False}}, "segments": {}}


def config(base, **overrides):
    settings = {"flagKey": "rebrand", "oldPrefix": "/site/", "newPrefix": "/site/beta/", "mode": "redirect", "pagesOnly": True,
                "contextKind": "user", "contextKey": {"source": "clientIp", "name": ""}, "initTimeout": 1, "events": "off",
                "stream": False, "dataSource": "launchdarkly", "fallback": "snapshot", "pollInterval": 30, "table": "", "prefix": "",
                "tableRegion": "us-east-1", "cacheTtl": 30, "baseUri": base, "streamUri": base, "eventsUri": base, "sdkKey": SDK_KEY}
    settings.update(overrides)
    return settings


def find_python(requested):
    for candidate in [requested, os.environ.get("LDEDGE_PYTHON"), "python3.12"]:
        if not candidate:
            continue
        try:
            out = subprocess.run([candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if out.returncode == 0:
            return candidate, out.stdout.strip()
    return sys.executable, "%d.%d" % sys.version_info[:2]


def assemble(folder, python, version, bytecode):
    for name in os.listdir(TEMPLATE):
        if name.endswith(".py"):
            shutil.copy(os.path.join(TEMPLATE, name), folder)
    shutil.copy(os.path.join(HERE, "guide_handler.py"), folder)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", folder,
                    "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--only-binary=:all:", "--python-version", version,
                    "--no-compile", "-r", os.path.join(TEMPLATE, "requirements.txt")], check=True)
    for root, dirs, _ in os.walk(folder):
        for name in list(dirs):
            if name == "__pycache__":
                shutil.rmtree(os.path.join(root, name))
                dirs.remove(name)
    if bytecode != "none":
        # "handler": the top-level modules only, as build-handler ships; "all": the SDK too.
        depth = [] if bytecode == "all" else ["-l"]
        subprocess.run([python, "-I", "-m", "compileall", "-q"] + depth + ["--invalidation-mode", "unchecked-hash", folder], check=True)


def event(ip):
    return {"Records": [{"cf": {"config": {"eventType": "viewer-request"}, "request": {
        "clientIp": ip, "method": "GET", "uri": "/site/index.html", "querystring": "", "headers": {}}}}]}


def random_ip(rng):
    return "%d.%d.%d.%d" % (rng.randint(11, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))


class Runner:
    def __init__(self, python, folder, handler, runtime_path=None, env=None):
        command = [python, "-I", "-S", "-B", RUNNER, "--dir", folder, "--handler", handler]
        if runtime_path:
            command += ["--runtime-path", runtime_path]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env)
        ready = json.loads(self.process.stdout.readline() or '{"type": "no answer"}')
        assert ready["type"] == "ready", (ready, self.process.stderr.read() if self.process.poll() is not None else "")

    def invoke(self, ip):
        self.process.stdin.write(json.dumps({"event": event(ip)}) + "\n")
        self.process.stdin.flush()
        result = json.loads(self.process.stdout.readline())
        assert result["type"] == "result", result
        return result

    def close(self):
        self.process.stdin.close()
        self.process.wait()
        return self.process.stderr.read()


def is_new(result):
    return result["response"].get("status") == "302"


def cold_once(case):
    runner = Runner(*case["runner"])
    first = runner.invoke("198.51.100.7")
    elapsed = (time.perf_counter() - runner.started) * 1000
    logs = runner.close()
    if case.get("expect_new") is not None and is_new(first) != case["expect_new"]:
        raise SystemExit("%s: the first response %s is not the flag's current targeting\n%s" % (case["label"], first["response"], logs))
    return elapsed


def warm(case, count):
    runner = Runner(*case["runner"])
    rng = random.Random(1)
    runner.invoke("198.51.100.7")
    durations = sorted(runner.invoke(random_ip(rng))["durationMs"] for _ in range(count))
    runner.close()
    return durations[len(durations) // 2], durations[min(len(durations) - 1, int(len(durations) * 0.99))]


def start_daemon_table(work):
    """moto's DynamoDB with the table the Relay Proxy would keep, written by the SDK's own store."""
    server = subprocess.Popen([sys.executable, os.path.join(REPO, "scripts", "aws-emulator", "server.py"), "--port", "0", "--exit-on-stdin-eof"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline().split()[1])
    endpoint = "http://127.0.0.1:%d" % port
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    script = """
import boto3, json, sys
from ldclient.integrations import DynamoDB
from ldclient.versioned_data_kind import FEATURES, SEGMENTS
client = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1")
client.create_table(TableName="ldedge-bench", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "namespace", "KeyType": "HASH"}, {"AttributeName": "key", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "namespace", "AttributeType": "S"}, {"AttributeName": "key", "AttributeType": "S"}])
data = json.loads(sys.argv[2])
store = DynamoDB.new_feature_store("ldedge-bench", dynamodb_opts={"endpoint_url": sys.argv[1], "region_name": "us-east-1"})
store.init({FEATURES: data["flags"], SEGMENTS: data["segments"]})
"""
    subprocess.run([sys.executable, "-c", script, endpoint, json.dumps(flag_data(50))], check=True, env=env)
    import boto3

    return server, env, os.path.dirname(os.path.dirname(boto3.__file__))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--python")
    parser.add_argument("--zip", help="run a package built by the steps instead of assembling one")
    parser.add_argument("--invocations", type=int, default=10000)
    parser.add_argument("--colds", type=int, default=9)
    parser.add_argument("--bytecode", choices=["none", "handler", "all"], default="handler",
                        help="handler: the top-level modules only (what build-handler ships); all: the SDK's too (both handlers)")
    parser.add_argument("--daemon", action="store_true", help="also measure dataSource dynamodb against moto")
    options = parser.parse_args()
    python, version = find_python(options.python)

    work = tempfile.mkdtemp(prefix="ldedge-handler-bench-")
    data = os.path.join(work, "data.json")
    with open(data, "w") as handle:
        json.dump(flag_data(100), handle)
    endpoint = subprocess.Popen([sys.executable, ENDPOINT, "--data", data, "--sdk-key", SDK_KEY], stdout=subprocess.PIPE, text=True)
    base = "http://127.0.0.1:%d" % json.loads(endpoint.stdout.readline())["port"]
    daemon = None
    try:
        up = os.path.join(work, "up")
        os.makedirs(up)
        if options.zip:
            zipfile.ZipFile(options.zip).extractall(up)
            shutil.copy(os.path.join(HERE, "guide_handler.py"), up)
        else:
            assemble(up, python, version, options.bytecode)
        snapshot = flag_data(50)
        with open(os.path.join(up, "ldedge_snapshot.json"), "w") as handle:
            json.dump(snapshot, handle)
        variants = {"up": config(base), "down": config("http://127.0.0.1:9"), "default": config("http://127.0.0.1:9", fallback="default")}
        folders = {}
        for name, settings in variants.items():
            folder = up if name == "up" else os.path.join(work, name)
            if folder != up:
                shutil.copytree(up, folder)
            with open(os.path.join(folder, "ldedge_config.json"), "w") as handle:
                json.dump(settings, handle)
            folders[name] = folder
        size = sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(up) for name in names)

        cases = [
            {"label": "guide pattern (LaunchDarkly up)", "runner": (python, folders["up"], "guide_handler.handler"), "expect_new": True},
            {"label": "ldedge handler (LaunchDarkly up)", "runner": (python, folders["up"], "handler.handler"), "expect_new": True},
            {"label": "ldedge, LaunchDarkly down, snapshot", "runner": (python, folders["down"], "handler.handler"), "expect_new": None},
            {"label": "ldedge, LaunchDarkly down, fallback default", "runner": (python, folders["default"], "handler.handler"), "expect_new": False},
        ]
        if options.daemon:
            daemon, env, site = start_daemon_table(work)
            folder = os.path.join(work, "daemon")
            shutil.copytree(up, folder)
            with open(os.path.join(folder, "ldedge_config.json"), "w") as handle:
                json.dump(config(base, dataSource="dynamodb", table="ldedge-bench", initTimeout=3), handle)
            cases.append({"label": "ldedge, daemon mode (DynamoDB, moto)", "runner": (python, folder, "handler.handler", site, env), "expect_new": None})

        print("Python %s (%s), runner: %s -I -S -B; bytecode: %s; package folder %d KB unzipped" % (
            version, python, python, "from the zip" if options.zip else options.bytecode, size // 1024))
        colds = {case["label"]: [] for case in cases}
        for _ in range(options.colds):
            for case in cases:
                colds[case["label"]].append(cold_once(case))
        with open(data, "w") as handle:
            json.dump(flag_data(50, version=2), handle)
        guide = statistics.median(colds[cases[0]["label"]])
        print("cold = median of %d interleaved starts (flag at 100%%: first answer checked); warm = %d invocations at 50/50" % (
            options.colds, options.invocations))
        print("| | cold start | vs guide | warm p50 | warm p99 |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for case in cases:
            cold = statistics.median(colds[case["label"]])
            p50, p99 = warm(case, options.invocations)
            print("| %s | %.1f ms | %.2fx | %.3f ms | %.3f ms |" % (case["label"], cold, cold / guide, p50, p99))
        runner = Runner(python, folders["down"], "guide_handler.handler")
        waits = [runner.invoke("198.51.100.7")["durationMs"] for _ in range(2)]
        runner.close()
        print("guide pattern, LaunchDarkly down: every invocation waits %s ms (viewer-request limit 5000 ms)" % ", ".join("%.0f" % w for w in waits))
    finally:
        endpoint.terminate()
        if daemon is not None:
            daemon.stdin.close()
            daemon.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
