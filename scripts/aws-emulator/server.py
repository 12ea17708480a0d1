#!/usr/bin/env python3
"""Local AWS emulator for ldedge tests and the demo.

Runs moto (pip install 'moto[server]') in-process on a loopback port and closes
the gaps docs/architecture.md lists ("Testing against real peers") so that S3, IAM, STS, Lambda and CloudFront behave like
AWS for the calls ldedge makes:

* CloudFront is served by this launcher (cloudfront.py), not by moto: moto
  re-renders distribution configs from a lossy model (it drops
  LambdaFunctionAssociations and OriginAccessControlId), ignores If-Match, never
  changes ETags and deletes enabled distributions.
* Lambda (lambda_patches.py): new functions are Pending and updates InProgress
  for a moment, conflicting calls get ResourceConflictException, runtimes and
  zip sizes are validated, and functions still replicated by CloudFront cannot
  be deleted.
* Fault injection and a call log (control.py) under /ldedge-emulator/.

Usage: server.py [--port N] [--host 127.0.0.1]. With --port 0 a free port is
chosen; the first line on stdout is "LISTENING <port>". The process exits when
its stdin reaches end of file if --exit-on-stdin-eof is given (so a crashed
test runner never leaves it behind).
"""

import argparse
import os
import sys
import threading

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

try:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server
except ImportError as error:  # pragma: no cover - exercised by the Swift launcher's error path
    sys.stderr.write(
        f"ldedge AWS emulator: moto is not installed ({error}).\n"
        "Install the test dependencies with: python3 -m pip install -r scripts/requirements.txt\n"
        "(or: python3 -m pip install 'moto[server]==5.2.1')\n"
    )
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emulator import Emulator, EmulatorOptions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only by default)")
    parser.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    parser.add_argument("--cloudfront-deploy-seconds", type=float, default=1.0,
                        help="how long a distribution stays InProgress after a change")
    parser.add_argument("--lambda-ready-seconds", type=float, default=0.3,
                        help="how long a function stays Pending / InProgress after a change")
    parser.add_argument("--replica-release-seconds", type=float, default=2.0,
                        help="how long Lambda@Edge replicas survive their association")
    parser.add_argument("--iam-propagation-seconds", type=float, default=0.0,
                        help="how long a new role cannot be assumed by Lambda (IAM eventual consistency)")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when stdin is closed")
    args = parser.parse_args()

    if args.host not in ("127.0.0.1", "::1", "localhost"):
        sys.stderr.write("ldedge AWS emulator: refusing to listen on a non-loopback address\n")
        sys.exit(2)

    options = EmulatorOptions(
        cloudfront_deploy_seconds=args.cloudfront_deploy_seconds,
        lambda_ready_seconds=args.lambda_ready_seconds,
        replica_release_seconds=args.replica_release_seconds,
        iam_propagation_seconds=args.iam_propagation_seconds,
    )
    moto_app = DomainDispatcherApplication(create_backend_app)
    app = Emulator(moto_app, options)
    server = make_server(args.host, args.port, app, threaded=True)
    port = server.server_address[1]
    os.environ["MOTO_PORT"] = str(port)
    sys.stdout.write(f"LISTENING {port}\n")
    sys.stdout.flush()

    if args.exit_on_stdin_eof:
        def watch_stdin() -> None:
            try:
                while sys.stdin.read(1024):
                    pass
            finally:
                os._exit(0)
        threading.Thread(target=watch_stdin, daemon=True).start()

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
