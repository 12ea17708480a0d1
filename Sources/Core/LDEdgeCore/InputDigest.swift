import Crypto
import Foundation

/// The SHA-256 (hex) of a JSON value in canonical form (sorted keys): the same value always gives
/// the same digest, so a step can tell whether its inputs changed since it last ran.
public enum InputDigest {
    public static func of(_ value: JSONValue) -> String {
        let data = (try? JSONEncoder.canonical.encode(value)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
