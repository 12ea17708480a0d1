import Foundation
import Synchronization

/// The process-wide list of secret values; everything ldedge prints or writes passes through `redact`.
///
/// Values are registered when they enter the process (a `${secret:NAME}` reference, a secret
/// input, a well-known credential variable, a key a step fetched from a service) and replaced
/// by `***` in output, logs, plans, state and journal.
public final class Secrets: Sendable {
    public static let shared = Secrets()

    /// Environment variables whose values are always secret.
    public static let wellKnownVariables = [
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LD_ACCESS_TOKEN", "LD_SDK_KEY", "LD_API_KEY",
    ]

    private let values = Mutex<Set<String>>([])

    public init() {}

    /// Registers a secret; values shorter than 4 characters are ignored (they would mask ordinary text).
    public func register(_ value: String) {
        guard value.count >= 4 else { return }
        // The JSON-escaped form too, so a secret inside an encoded document is caught.
        let escaped = (try? JSONEncoder().encode(value)).map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) }
        values.withLock { values in
            values.insert(value)
            if let escaped { values.insert(escaped) }
        }
    }

    /// Registers the well-known credential variables of an environment.
    public func registerWellKnown(in environment: [String: String]) {
        for name in Self.wellKnownVariables {
            if let value = environment[name] { register(value) }
        }
    }

    public func redact(_ text: String) -> String {
        let current = values.withLock { $0.sorted { $0.count > $1.count } }
        var result = text
        for value in current where result.contains(value) {
            result = result.replacingOccurrences(of: value, with: "***")
        }
        return result
    }

    public func redact(_ data: Data) -> Data {
        Data(redact(String(decoding: data, as: UTF8.self)).utf8)
    }

    public func isSecret(_ value: String) -> Bool {
        values.withLock { $0.contains(value) }
    }
}
