"""SigV4A (AWS4-ECDSA-P256-SHA256): the key AWS derives from a secret, and signature checks by awscrt.

The CloudFront KeyValueStore data plane accepts only SigV4A. The key derivation is the one
aws-c-auth implements (NIST SP 800-108 counter-mode KDF with HMAC-SHA256): input key
"AWS4A" + secret; fixed input 0x00000001 || "AWS4-ECDSA-P256-SHA256" || 0x00 || access key id ||
counter (one byte, from 1) || 0x00000100; the 32-byte result c is retried with the next counter
while c > n - 2, and the private key is c + 1.
"""

import hashlib
import hmac
import re
from urllib.parse import quote

ALGORITHM = "AWS4-ECDSA-P256-SHA256"
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_AUTH = re.compile(r"^AWS4-ECDSA-P256-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/aws4_request, *"
                   r"SignedHeaders=([^,]+), *Signature=([0-9a-f]+)$")
_KEYS = {}


def private_scalar(access_key_id, secret):
    """The P-256 private key (an integer) SigV4A signs with for these credentials."""
    cached = _KEYS.get((access_key_id, secret))
    if cached is not None:
        return cached
    key = ("AWS4A" + secret).encode()
    for counter in range(1, 255):
        fixed = (b"\x00\x00\x00\x01" + ALGORITHM.encode() + b"\x00" + access_key_id.encode()
                 + bytes([counter]) + b"\x00\x00\x01\x00")
        candidate = int.from_bytes(hmac.new(key, fixed, hashlib.sha256).digest(), "big")
        if candidate <= _N - 2:
            _KEYS[(access_key_id, secret)] = candidate + 1
            return candidate + 1
    raise ValueError("no SigV4A key within 254 counters")


def der_private_key(access_key_id, secret):
    """The key as SEC1 DER (with its public point), the form awscrt's EC loads."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.derive_private_key(private_scalar(access_key_id, secret), ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _encode(text, safe="-_.~"):
    return quote(text, safe=safe)


def _normalize(path):
    segments = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    result = "/" + "/".join(segments)
    if path.endswith("/") and segments:
        result += "/"
    return result


def canonical_request(method, raw_path, query_string, headers, signed_headers, body):
    """The canonical request of a non-S3 service (path normalised and encoded twice), as awscrt builds it."""
    path = _encode(_normalize(raw_path), safe="/-_.~")
    pairs = []
    for part in query_string.split("&") if query_string else []:
        name, _, value = part.partition("=")
        from urllib.parse import unquote
        pairs.append((_encode(unquote(name)), _encode(unquote(value))))
    query = "&".join(f"{n}={v}" for n, v in sorted(pairs))
    names = signed_headers.split(";")
    lines = "".join(f"{n}:{' '.join(str(headers.get(n, '')).split())}\n" for n in names)
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    return "\n".join([method, path, query, lines, signed_headers, payload])


def verify(method, raw_path, query_string, headers, body, secrets):
    """Checks a SigV4A request with awscrt. `headers` are lower-cased; `raw_path` is the path as
    sent (percent-encoded). Returns (True, None), (False, reason) or (None, reason) when the
    access key is unknown (nothing to check against)."""
    match = _AUTH.match(headers.get("authorization", ""))
    if not match:
        return False, "the request is not signed with AWS4-ECDSA-P256-SHA256 (SigV4A)"
    access_key, day, service, signed_headers, signature = match.groups()
    if headers.get("x-amz-region-set") is None or "x-amz-region-set" not in signed_headers.split(";"):
        return False, "SigV4A requests must sign the X-Amz-Region-Set header"
    secret = secrets.get(access_key)
    if secret is None:
        return None, f"no secret known for {access_key}"
    amz_date = headers.get("x-amz-date", "")
    scope = f"{day}/{service}/aws4_request"
    request = canonical_request(method, raw_path, query_string, headers, signed_headers, body)
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    from awscrt.crypto import EC
    key = EC.new_key_from_der_data(der_private_key(access_key, secret))
    try:
        ok = key.verify(hashlib.sha256(string_to_sign.encode()).digest(), bytes.fromhex(signature))
    except Exception as error:  # awscrt raises on a malformed DER signature
        return False, f"malformed signature: {error}"
    return (True, None) if ok else (False, "The request signature we calculated does not match the signature you provided.")
