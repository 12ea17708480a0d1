import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What ldedge may draw on each output stream: colours and in-place lines only on a terminal,
/// never with `NO_COLOR` set to any non-empty value (https://no-color.org) or `TERM=dumb`.
public struct TerminalCapabilities: Sendable, Equatable {
    public var colorsOnStdout: Bool
    public var colorsOnStderr: Bool
    /// Lines on stderr may be redrawn in place (`\r`): a terminal that is not `TERM=dumb`.
    public var liveStderr: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(environment: environment, stdoutIsTerminal: isatty(STDOUT_FILENO) == 1, stderrIsTerminal: isatty(STDERR_FILENO) == 1)
    }

    public init(environment: [String: String], stdoutIsTerminal: Bool, stderrIsTerminal: Bool) {
        let dumb = environment["TERM"] == "dumb"
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let colors = !noColor && !dumb
        colorsOnStdout = colors && stdoutIsTerminal
        colorsOnStderr = colors && stderrIsTerminal
        liveStderr = stderrIsTerminal && !dumb
    }
}

/// The few styles ldedge uses, as SGR codes.
public enum Style: String, Sendable, CaseIterable {
    case bold = "1"
    case dim = "2"
    case red = "31"
    case green = "32"
    case yellow = "33"
    case magenta = "35"
    case cyan = "36"

    /// `text` in this style when `enabled`, else `text` unchanged.
    public func paint(_ text: String, enabled: Bool) -> String {
        enabled ? "\u{1B}[\(rawValue)m\(text)\u{1B}[0m" : text
    }
}

/// A line redrawn in place on a terminal (a status under the step that waits).
public enum LiveLine {
    /// Back to the start of the line and erase it.
    public static let clear = "\r\u{1B}[K"

    /// `text` cut to `width` visible characters, so redrawing never wraps onto a second line.
    public static func fit(_ text: String, width: Int = columns) -> String {
        var visible = 0
        var result = ""
        var inEscape = false
        for character in text {
            if character == "\u{1B}" { inEscape = true }
            if !inEscape {
                guard visible < width - 1 else { break }
                visible += 1
            } else if character.isLetter {
                inEscape = false
            }
            result.append(character)
        }
        return text.contains("\u{1B}") && result.count < text.count ? result + "\u{1B}[0m" : result
    }

    /// The terminal's width from `COLUMNS`, else 100.
    public static var columns: Int {
        ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init).map { max(20, $0) } ?? 100
    }
}

/// A text progress bar: `[#########...............] 12/40 files, 1.2 MB/3.0 MB`.
public struct ProgressBar: Sendable {
    public var width: Int

    public init(width: Int = 24) {
        self.width = max(4, width)
    }

    /// The bar for `done` of `total`, followed by `detail`.
    public func render(done: Int, total: Int, detail: String = "") -> String {
        let filled = total <= 0 ? width : min(width, width * max(0, done) / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "[\(bar)]" + (detail.isEmpty ? "" : " \(detail)")
    }
}
