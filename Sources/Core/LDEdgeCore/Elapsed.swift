import Foundation

/// Elapsed times as people read them: `0.4s`, `12s`, `2m05s`, `1h02m`.
public enum Elapsed {
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "0s" }
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        return whole(Int(seconds.rounded(.down)))
    }

    /// Whole seconds, for times that are whole by nature (a retry delay): `1s`, `42s`, `3m05s`.
    public static func whole(_ seconds: Int) -> String {
        let seconds = max(0, seconds)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return String(format: "%dm%02ds", seconds / 60, seconds % 60) }
        return String(format: "%dh%02dm", seconds / 3600, (seconds % 3600) / 60)
    }

    public static func format(_ duration: Duration) -> String {
        format(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
