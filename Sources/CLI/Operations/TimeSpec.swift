import Foundation

/// A point in time given on the command line: a duration back from now (`30s`, `15m`, `2h`, `1d`,
/// `1h30m`) or an ISO 8601 time (`2026-12-01T09:30:00Z`, with or without fractional seconds or an offset).
public enum TimeSpec {
    /// The time `text` means, relative to `now` for durations.
    public static func parse(_ text: String, now: Date = Date()) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = duration(trimmed) { return now.addingTimeInterval(-seconds) }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: trimmed) { return date }
        }
        throw OperationsError.badTime(text)
    }

    /// Seconds in a duration such as `90s`, `15m`, `1h30m`, `2d`; nil when `text` is not one.
    public static func duration(_ text: String) -> TimeInterval? {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var total: TimeInterval = 0
        var digits = ""
        var sawUnit = false
        for character in text {
            if character.isASCII && (character.isNumber || character == ".") {
                digits.append(character)
            } else if let unit = units[character], let value = Double(digits) {
                total += value * unit
                digits = ""
                sawUnit = true
            } else {
                return nil
            }
        }
        return sawUnit && digits.isEmpty ? total : nil
    }
}
