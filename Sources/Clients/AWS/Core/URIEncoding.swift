import Foundation

/// Percent-encoding with the RFC 3986 unreserved set, the only encoding SigV4 accepts.
public enum URIEncoding {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes every byte except `A-Z a-z 0-9 - _ . ~` (and `/` when `allowSlash`).
    public static func encode(_ value: String, allowSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where allowSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes an S3 object key for a path: every character but `/` is encoded, so
    /// keys with spaces, `+`, `%`, unicode and repeated slashes reach S3 unchanged.
    public static func encodeKey(_ key: String) -> String {
        encode(key, allowSlash: true)
    }

    /// `application/x-www-form-urlencoded` body for the query protocol (IAM, STS).
    public static func formBody(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
