import Foundation

/// The time expiries are set and checked against (`deploy --ttl`, `ldedge gc`, `ldedge envs`).
/// `LDEDGE_NOW` (ISO 8601, e.g. 2026-12-24T00:00:00Z) replaces the system clock, so expiry can be
/// tested and rehearsed ("what would gc remove next week?") without waiting.
public enum WallClock {
    public static func now(environment: [String: String] = ProcessInfo.processInfo.environment) -> Date {
        guard let text = environment["LDEDGE_NOW"], !text.isEmpty else { return Date() }
        return parse(text) ?? Date()
    }

    /// An ISO 8601 time, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// `2026-12-06T19:59:20Z`.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
