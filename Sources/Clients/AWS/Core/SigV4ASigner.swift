import Crypto
import Foundation

/// AWS Signature Version 4A (`AWS4-ECDSA-P256-SHA256`): SigV4's canonical request, signed with an
/// ECDSA P-256 key derived from the secret, valid in a set of regions (`X-Amz-Region-Set`).
///
/// The CloudFront KeyValueStore data plane accepts nothing else. The key derivation is the one
/// aws-c-auth (awscrt) implements, a NIST SP 800-108 counter-mode KDF with HMAC-SHA256: key
/// `"AWS4A" + secret`, fixed input `0x00000001 || "AWS4-ECDSA-P256-SHA256" || 0x00 || accessKeyId
/// || counter || 0x00000100`; the 32-byte result `c` is retried with the next counter while
/// `c > n - 2`, and the private key is `c + 1`. Signatures are DER, hex-encoded.
public struct SigV4ASigner: Sendable {
    public static let algorithm = "AWS4-ECDSA-P256-SHA256"

    public var service: String
    /// `*` signs for every region.
    public var regionSet: String

    public init(service: String, regionSet: String = "*") {
        self.service = service
        self.regionSet = regionSet
    }

    /// Signs `request` with an `Authorization` header; `headers` of the result are the ones to send.
    public func sign(_ request: SignableRequest, credentials: AWSCredentials, date: Date) throws -> SigV4Signer.Signature {
        let amzDate = SigV4Signer.amzDate(date)
        var headers = request.headers.filter { name, _ in
            let lower = name.lowercased()
            return lower != "authorization" && lower != "x-amz-date" && lower != "date" && lower != "x-amz-region-set"
                && !(credentials.sessionToken != nil && lower == "x-amz-security-token")
        }
        headers.append(("X-Amz-Date", amzDate))
        headers.append(("X-Amz-Region-Set", regionSet))
        if let token = credentials.sessionToken { headers.append(("X-Amz-Security-Token", token)) }
        let bodyHash = headers.first { $0.0.lowercased() == "x-amz-content-sha256" }?.1 ?? SigV4Signer.hexSHA256(request.body)
        let (canonicalHeaders, signedHeaders) = SigV4Signer.canonicalHeaders(headers, host: request.host)
        // Non-S3 rules: the path is normalised and encoded a second time, as in SigV4.
        let uriSigner = SigV4Signer(service: service, region: "", isS3: false)
        let canonicalRequest = [
            request.method.uppercased(), uriSigner.canonicalURI(request.encodedPath), SigV4Signer.canonicalQuery(request.query),
            canonicalHeaders, signedHeaders, bodyHash,
        ].joined(separator: "\n")
        let scope = "\(amzDate.prefix(8))/\(service)/aws4_request"
        let stringToSign = [Self.algorithm, amzDate, scope, SigV4Signer.hexSHA256(Data(canonicalRequest.utf8))].joined(separator: "\n")
        let key = try Self.signingKey(accessKeyId: credentials.accessKeyId, secret: credentials.secretAccessKey)
        let signature = try key.signature(for: Data(stringToSign.utf8)).derRepresentation.hexString
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signer.Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            signedHeaders: signedHeaders, credentialScope: scope, authorization: authorization, headers: headers
        )
    }

    /// The order of P-256 minus 2, big-endian: the largest `c` the derivation accepts.
    static let orderMinusTwo: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x4F,
    ]

    /// The private key SigV4A signs with for these credentials.
    public static func signingKey(accessKeyId: String, secret: String) throws -> P256.Signing.PrivateKey {
        let key = SymmetricKey(data: Data("AWS4A\(secret)".utf8))
        for counter in UInt8(1)...UInt8(254) {
            var fixed = Data([0, 0, 0, 1])
            fixed.append(contentsOf: Array(algorithm.utf8))
            fixed.append(0)
            fixed.append(contentsOf: Array(accessKeyId.utf8))
            fixed.append(counter)
            fixed.append(contentsOf: [0, 0, 1, 0])
            let candidate = Array(HMAC<SHA256>.authenticationCode(for: fixed, using: key))
            if candidate.lexicographicallyPrecedes(orderMinusTwo) || candidate == orderMinusTwo {
                return try P256.Signing.PrivateKey(rawRepresentation: addOne(candidate))
            }
        }
        throw AWSError.configuration("no SigV4A signing key could be derived from these credentials")
    }

    /// `bytes + 1` as a 32-byte big-endian number (never overflows: bytes <= n - 2).
    static func addOne(_ bytes: [UInt8]) -> [UInt8] {
        var result = bytes
        var index = result.count - 1
        while index >= 0 {
            if result[index] == 0xFF {
                result[index] = 0
                index -= 1
            } else {
                result[index] += 1
                break
            }
        }
        return result
    }
}
