import Crypto
import Foundation

/// An HTTP request as the signer sees it: method, already percent-encoded path,
/// decoded query pairs, headers and the body.
public struct SignableRequest: Sendable, Equatable {
    public var method: String
    public var host: String
    /// The request path, percent-encoded exactly as it goes on the wire.
    public var encodedPath: String
    /// Query parameters, not encoded; the signer encodes them (RFC 3986 unreserved set).
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var body: Data

    public init(method: String, host: String, encodedPath: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: Data = Data()) {
        self.method = method
        self.host = host
        self.encodedPath = encodedPath
        self.query = query
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: SignableRequest, rhs: SignableRequest) -> Bool {
        lhs.method == rhs.method && lhs.host == rhs.host && lhs.encodedPath == rhs.encodedPath
            && lhs.query.elementsEqual(rhs.query, by: ==) && lhs.headers.elementsEqual(rhs.headers, by: ==) && lhs.body == rhs.body
    }
}

/// AWS Signature Version 4 (header and query/presigned forms).
///
/// S3 differs from the other services in two ways the signer models explicitly:
/// its path is signed exactly as sent (no dot-segment removal, no second encoding)
/// and every request carries `x-amz-content-sha256`.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// Headers never signed (hop-by-hop and those proxies rewrite), as botocore does.
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id", "authorization",
    ]

    public var service: String
    public var region: String
    /// S3 rules: path signed as is, `x-amz-content-sha256` header added.
    public var isS3: Bool

    public init(service: String, region: String, isS3: Bool? = nil) {
        self.service = service
        self.region = region
        self.isS3 = isS3 ?? (service == "s3")
    }

    /// The parts of one signature, exposed so tests can compare each stage with the published vectors.
    public struct Signature: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var signedHeaders: String
        public var credentialScope: String
        public var authorization: String
        /// Headers to send: the input headers plus `X-Amz-Date`, the session token and, for S3, the payload hash.
        public var headers: [(String, String)]
    }

    /// Signs `request` with an `Authorization` header.
    public func sign(_ request: SignableRequest, credentials: AWSCredentials, date: Date, payloadHash: String? = nil) -> Signature {
        let amzDate = Self.amzDate(date)
        var headers = request.headers.filter { name, _ in
            let lower = name.lowercased()
            return lower != "authorization" && lower != "x-amz-date" && lower != "date"
                && !(credentials.sessionToken != nil && lower == "x-amz-security-token")
        }
        headers.append(("X-Amz-Date", amzDate))
        if let token = credentials.sessionToken {
            headers.append(("X-Amz-Security-Token", token))
        }
        // botocore semantics: S3 always signs its own payload hash header; other services
        // use an explicit x-amz-content-sha256 header when the caller set one.
        let explicitHash = isS3 ? nil : headers.first { $0.0.lowercased() == "x-amz-content-sha256" }?.1
        let bodyHash = payloadHash ?? explicitHash ?? Self.hexSHA256(request.body)
        if isS3 {
            headers.removeAll { $0.0.lowercased() == "x-amz-content-sha256" }
            headers.append(("X-Amz-Content-SHA256", bodyHash))
        }
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers, host: request.host)
        let canonicalRequest = [
            request.method.uppercased(),
            canonicalURI(request.encodedPath),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            bodyHash,
        ].joined(separator: "\n")
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        let stringToSign = [Self.algorithm, amzDate, scope, Self.hexSHA256(Data(canonicalRequest.utf8))].joined(separator: "\n")
        let signature = signingKey(secret: credentials.secretAccessKey, day: String(amzDate.prefix(8)))
            .hmacHex(stringToSign)
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            signedHeaders: signedHeaders, credentialScope: scope, authorization: authorization, headers: headers
        )
    }

    /// A presigned URL query (`X-Amz-Signature` and friends) valid for `expires` seconds.
    public func presignedQuery(_ request: SignableRequest, credentials: AWSCredentials, date: Date, expires: Int) -> [(String, String)] {
        let amzDate = Self.amzDate(date)
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        let headers = request.headers.filter { !Self.unsignedHeaders.contains($0.0.lowercased()) }
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers, host: request.host)
        var query = request.query
        query.append(("X-Amz-Algorithm", Self.algorithm))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope)"))
        query.append(("X-Amz-Date", amzDate))
        query.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        query.append(("X-Amz-SignedHeaders", signedHeaders))
        let canonicalRequest = [
            request.method.uppercased(), canonicalURI(request.encodedPath), Self.canonicalQuery(query),
            canonicalHeaders, signedHeaders, isS3 ? Self.unsignedPayload : Self.hexSHA256(request.body),
        ].joined(separator: "\n")
        let stringToSign = [Self.algorithm, amzDate, scope, Self.hexSHA256(Data(canonicalRequest.utf8))].joined(separator: "\n")
        query.append(("X-Amz-Signature", signingKey(secret: credentials.secretAccessKey, day: String(amzDate.prefix(8))).hmacHex(stringToSign)))
        return query
    }

    func signingKey(secret: String, day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(secret)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// The canonical URI: S3 paths as sent; other services normalised and encoded a second time.
    func canonicalURI(_ encodedPath: String) -> String {
        if isS3 { return encodedPath.isEmpty ? "/" : encodedPath }
        return URIEncoding.encode(Self.removeDotSegments(encodedPath), allowSlash: true)
    }

    /// RFC 3986 5.2.4 dot-segment removal plus collapsing of empty segments, as AWS services expect.
    static func removeDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { if !output.isEmpty { output.removeLast() }; continue }
            output.append(segment)
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (URIEncoding.encode($0.0), URIEncoding.encode($0.1)) }
            .sorted { $0.0 == $1.0 ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    static func canonicalHeaders(_ headers: [(String, String)], host: String) -> (String, String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            guard !unsignedHeaders.contains(lower) else { continue }
            values[lower, default: []].append(trimAll(value))
        }
        if values["host"] == nil { values["host"] = [host] }
        let names = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { "\($0):\(values[$0, default: []].joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    /// Trims and collapses runs of whitespace to one space (Python's `' '.join(v.split())`).
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
            .joined(separator: " ")
    }

    static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    public static func hexSHA256(_ data: Data) -> String {
        SHA256.hash(data: data).hexString
    }
}

extension SymmetricKey {
    func hmacHex(_ message: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: self).hexString
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256.Digest {
    var hexString: String { Array(self).hexString }
}

extension HashedAuthenticationCode {
    var hexString: String { Array(self).hexString }
}
