"""The LaunchDarkly AWS Lambda guide's pattern, translated to Python for comparison: the client is
created at load without waiting, and every invocation waits for initialization (up to 10 s) before
evaluating. Same routing as ldedge's handler so only the waiting differs."""
import json
import os
import time

import ldclient
from ldclient import Context
from ldclient.config import Config

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ldedge_config.json")) as _file:
    CONFIG = json.load(_file)

client = ldclient.client.LDClient(
    Config(CONFIG["sdkKey"], base_uri=CONFIG["baseUri"], stream_uri=CONFIG["streamUri"], events_uri=CONFIG["eventsUri"],
           stream=False, send_events=False, diagnostic_opt_out=True),
    start_wait=0,
)


def wait_for_initialization(timeout):
    deadline = time.monotonic() + timeout
    while not client.is_initialized() and time.monotonic() < deadline:
        time.sleep(0.005)
    return client.is_initialized()


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    wait_for_initialization(10)  # the guide: await client.waitForInitialization() in every invocation
    show_new = client.variation(CONFIG["flagKey"], Context.builder(request["clientIp"]).kind("user").build(), False)
    if show_new and request["uri"].startswith(CONFIG["oldPrefix"]) and not request["uri"].startswith(CONFIG["newPrefix"]):
        query = request.get("querystring") or ""
        location = CONFIG["newPrefix"] + request["uri"][len(CONFIG["oldPrefix"]):] + ("?" + query if query else "")
        return {"status": "302", "statusDescription": "Found", "headers": {"location": [{"key": "Location", "value": location}]}}
    return request
