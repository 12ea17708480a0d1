#!/usr/bin/env python3
"""Handler latency through the local Lambda-like runner (scripts/handler-runner/runner.py):
cold start (process start to first response) and warm per-request time (p50, p99 over 10,000
invocations), for ldedge's handler and for the guide's pattern (waiting for initialization inside
every invocation), with LaunchDarkly up (local SDK endpoint, 50/50 rollout) and down.

    Benchmarks/handler/bench.py [--zip PACKAGE.zip] [--invocations 10000] [--colds 5]

--zip runs a package built by the steps (its baked-in SDK URIs must point at a reachable endpoint
for the "up" numbers); without it the package folder is assembled like build-handler does
(template + pip dependencies + generated config) and pointed at a local endpoint.
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
SDK_KEY = "sdk-bench-0123456789abcdef"


def flag_data(percent):
    weight = int(percent * 1000)
    return {"flags": {"rebrand": {
        "key": "rebrand", "version": 1, "on": True, "salt": "rebrand-salt", "variations": [False, True], "offVariation": 0,
        "fallthrough": {"rollout": {"variations": [{"variation": 0, "weight": 100000 - weight}, {"variation": 1, "weight": weight}]}},
        "targets": [], "contextTargets": [], "rules": [], "prerequisites": [], "trackEvents": False}}, "segments": {}}


def config(base):
    return {"flagKey": "rebrand", "oldPrefix": "/site/", "newPrefix": "/site/beta/", "mode": "redirect", "pagesOnly": True,
            "contextKind": "user", "contextKey": {"source": "clientIp", "name": ""}, "initTimeout": 1, "events": "off",
            "stream": False, "baseUri": base, "streamUri": base, "eventsUri": base, "sdkKey": SDK_KEY}


def assemble(folder):
    shutil.copy(os.path.join(REPO, "templates", "handler-python", "handler.py"), folder)
    shutil.copy(os.path.join(HERE, "guide_handler.py"), folder)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", folder,
                    "--platform", "manylinux2014_x86_64", "--implementation", "cp", "--only-binary=:all:", "--python-version", "3.12",
                    "--no-compile", "-r", os.path.join(REPO, "templates", "handler-python", "requirements.txt")], check=True)
    for root, dirs, _ in os.walk(folder):
        for name in list(dirs):
            if name == "__pycache__":
                shutil.rmtree(os.path.join(root, name))
                dirs.remove(name)


def event(ip):
    return {"Records": [{"cf": {"config": {"eventType": "viewer-request"}, "request": {
        "clientIp": ip, "method": "GET", "uri": "/site/index.html", "querystring": "", "headers": {}}}}]}


def random_ip(rng):
    return "%d.%d.%d.%d" % (rng.randint(11, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))


class Runner:
    def __init__(self, folder, handler):
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, RUNNER, "--dir", folder, "--handler", handler],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = json.loads(self.process.stdout.readline())
        assert ready["type"] == "ready", ready

    def invoke(self, ip):
        self.process.stdin.write(json.dumps({"event": event(ip)}) + "\n")
        self.process.stdin.flush()
        result = json.loads(self.process.stdout.readline())
        assert result["type"] == "result", result
        return result

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def cold(folder, handler, repeats):
    times = []
    for _ in range(repeats):
        runner = Runner(folder, handler)
        runner.invoke("198.51.100.7")
        times.append((time.perf_counter() - runner.started) * 1000)
        runner.close()
    return statistics.median(times)


def warm(folder, handler, count):
    runner = Runner(folder, handler)
    rng = random.Random(1)
    runner.invoke("198.51.100.7")
    durations = sorted(runner.invoke(random_ip(rng))["durationMs"] for _ in range(count))
    runner.close()
    return durations[len(durations) // 2], durations[min(len(durations) - 1, int(len(durations) * 0.99))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--zip")
    parser.add_argument("--invocations", type=int, default=10000)
    parser.add_argument("--colds", type=int, default=5)
    parser.add_argument("--down-invocations", type=int, default=2)
    options = parser.parse_args()

    work = tempfile.mkdtemp(prefix="ldedge-handler-bench-")
    data = os.path.join(work, "data.json")
    with open(data, "w") as handle:
        json.dump(flag_data(50), handle)
    endpoint = subprocess.Popen([sys.executable, ENDPOINT, "--data", data, "--sdk-key", SDK_KEY], stdout=subprocess.PIPE, text=True)
    base = "http://127.0.0.1:%d" % json.loads(endpoint.stdout.readline())["port"]
    try:
        up = os.path.join(work, "up")
        os.makedirs(up)
        if options.zip:
            zipfile.ZipFile(options.zip).extractall(up)
            shutil.copy(os.path.join(HERE, "guide_handler.py"), up)
        else:
            assemble(up)
        with open(os.path.join(up, "ldedge_config.json"), "w") as handle:
            json.dump(config(base), handle)
        down = os.path.join(work, "down")
        shutil.copytree(up, down)
        with open(os.path.join(down, "ldedge_config.json"), "w") as handle:
            json.dump(config("http://127.0.0.1:9"), handle)

        print("LaunchDarkly up (local SDK endpoint, 50/50 rollout); %d warm invocations, cold = median of %d" % (options.invocations, options.colds))
        for label, handler in (("ldedge handler", "handler.handler"), ("guide pattern ", "guide_handler.handler")):
            c = cold(up, handler, options.colds)
            p50, p99 = warm(up, handler, options.invocations)
            print("  %s  cold start %7.1f ms   warm p50 %.3f ms  p99 %.3f ms" % (label, c, p50, p99))

        print("LaunchDarkly down (connection refused)")
        c = cold(down, "handler.handler", options.colds)
        p50, p99 = warm(down, "handler.handler", min(options.invocations, 1000))
        print("  ldedge handler  cold start %7.1f ms   warm p50 %.3f ms  p99 %.3f ms  (old site)" % (c, p50, p99))
        runner = Runner(down, "guide_handler.handler")
        started = time.perf_counter()
        durations = [runner.invoke("198.51.100.7")["durationMs"] for _ in range(options.down_invocations)]
        runner.close()
        print("  guide pattern   every invocation waits: %s ms (viewer-request limit 5000 ms)" % ", ".join("%.0f" % d for d in durations))
    finally:
        endpoint.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
