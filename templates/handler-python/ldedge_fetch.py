"""One HTTP request with a deadline, on the standard library's socket (and ssl for https) only:
`http.client` and `urllib` cost a cold container tens of milliseconds of imports (email parsing,
mimetypes) that one JSON request does not need."""

import socket


class FetchError(Exception):
    """The request failed, timed out or got an answer other than 200 or 304."""


def _ssl_wrap(sock, host, cafile):
    import ssl

    context = ssl.create_default_context(cafile=cafile)
    return context.wrap_socket(sock, server_hostname=host)


def _split(uri):
    scheme, _, rest = uri.partition("://")
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = hostport.partition(":")
    secure = scheme == "https"
    return secure, host, int(port) if port else (443 if secure else 80), slash + path


def _dechunk(body):
    out = bytearray()
    position = 0
    while True:
        end = body.index(b"\r\n", position)
        size = int(body[position:end].split(b";", 1)[0], 16)
        if size == 0:
            return bytes(out)
        start = end + 2
        out += body[start:start + size]
        position = start + size + 2


def get(uri, headers, timeout, cafile=None):
    """GETs `uri` within `timeout` seconds; returns (status, headers dict lower-cased, body bytes)."""
    return request("GET", uri, headers, b"", timeout, cafile)


def request(method, uri, headers, body, timeout, cafile=None):
    """Sends one request and reads the whole answer within `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    secure, host, port, path = _split(uri)
    try:
        sock = socket.create_connection((host, port), timeout=max(0.01, timeout))
    except OSError as error:
        raise FetchError("cannot connect to %s:%d: %s" % (host, port, error)) from None
    try:
        if secure:
            sock = _ssl_wrap(sock, host, cafile)
        lines = ["%s %s HTTP/1.1" % (method, path or "/"), "Host: %s" % (host if port == (443 if secure else 80) else "%s:%d" % (host, port)), "Connection: close", "Accept-Encoding: identity",
                 "User-Agent: ldedge-handler"]
        lines += ["%s: %s" % item for item in headers.items()]
        if body or method != "GET":
            lines.append("Content-Length: %d" % len(body))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        chunks = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError("no complete answer from %s within %.2f s" % (host, timeout))
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (OSError, ValueError) as error:
        raise FetchError("request to %s failed: %s" % (host, error)) from None
    finally:
        sock.close()
    raw = b"".join(chunks)
    head, separator, answer = raw.partition(b"\r\n\r\n")
    if not separator:
        raise FetchError("incomplete answer from %s" % host)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split(" ", 2)[1])
    except (IndexError, ValueError):
        raise FetchError("not an HTTP answer from %s: %r" % (host, status_line[:80])) from None
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    if parsed.get("transfer-encoding", "").lower() == "chunked":
        try:
            answer = _dechunk(answer)
        except ValueError:
            raise FetchError("malformed chunked answer from %s" % host) from None
    return status, parsed, answer
