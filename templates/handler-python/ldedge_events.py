"""Analytics events delivered within the invocation, through the SDK's public API only.

The SDK's `flush()` only schedules delivery on a worker thread, and a Lambda container is frozen
as soon as the handler returns, so events could wait for the next invocation or be lost with the
container. The SDK offers no public way to wait for delivery, so the handler points the SDK's
public `events_uri` setting at a loopback relay in this module: the relay forwards each payload to
the real events URI (same path, headers and body) and counts finished deliveries, and
`flush_and_wait` calls `client.flush()` and waits, at most `timeout` seconds, for the next
delivery to finish. When the events endpoint is down the forward fails fast (refused) or at the
timeout, so the invocation still returns well within the viewer-request limit.
"""

import socket
import threading

_FORWARDED = ("authorization", "content-type", "user-agent", "x-launchdarkly-event-schema", "x-launchdarkly-payload-id")
_finished = 0
_changed = threading.Condition()
_target = None
_local = None


def _read_request(connection, buffered):
    while b"\r\n\r\n" not in buffered:
        chunk = connection.recv(65536)
        if not chunk:
            return None, b""
        buffered += chunk
    head, _, rest = buffered.partition(b"\r\n\r\n")
    request_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return (request_line, headers, rest[:length]), rest[length:]


def _serve(connection):
    global _finished
    import ldedge_fetch

    buffered = b""
    try:
        while True:
            request, buffered = _read_request(connection, buffered)
            if request is None:
                return
            request_line, headers, body = request
            path = request_line.split(" ")[1] if " " in request_line else "/bulk"
            forwarded = {name: headers[name] for name in _FORWARDED if name in headers}
            try:
                status = ldedge_fetch.request("POST", _target + path, forwarded, body, 2.0)[0]
            except ldedge_fetch.FetchError:
                status = 503
            connection.sendall(b"HTTP/1.1 %d Relayed\r\nContent-Length: 0\r\n\r\n" % status)
            with _changed:
                _finished += 1
                _changed.notify_all()
    except OSError:
        return
    finally:
        connection.close()


def _accept(listener):
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_serve, args=(connection,), daemon=True).start()


def start(events_uri):
    """Starts the loopback relay to `events_uri`; returns the URI to give the SDK as events_uri."""
    global _target, _local
    if _local is not None:
        return _local
    _target = events_uri.rstrip("/")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    threading.Thread(target=_accept, args=(listener,), daemon=True).start()
    _local = "http://127.0.0.1:%d" % listener.getsockname()[1]
    return _local


def flush_and_wait(client, timeout):
    """`client.flush()` (public API), then waits up to `timeout` s for that delivery to finish."""
    with _changed:
        before = _finished
    client.flush()
    with _changed:
        _changed.wait_for(lambda: _finished > before, timeout)
