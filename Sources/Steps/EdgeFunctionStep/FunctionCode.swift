import Foundation
import LDEdgeKit

/// The CloudFront Function's code: `templates/edge-function/viewer-request.js` with the step's
/// settings in its `const CONFIG = {...};` line, checked against what cloudfront-js-2.0 allows.
struct FunctionCode {
    static let templateName = "edge-function/viewer-request.js"
    static let maxBytes = 10 * 1024
    /// What the runtime does not provide (no eval, no timers, no network, no file system, no require).
    static let forbidden: [(pattern: String, what: String)] = [
        ("eval(", "eval"), ("new Function(", "the Function constructor"), ("setTimeout(", "timers"), ("setInterval(", "timers"),
        ("fetch(", "the network"), ("XMLHttpRequest", "the network"), ("require(", "require"), ("process.", "process"),
    ]

    let text: String

    var data: Data { Data(text.utf8) }

    /// Renders the template with `settings` and checks the result.
    static func render(settings: [String: JSONValue], context: StepContext) throws -> FunctionCode {
        let template = try String(contentsOf: try locate(context), encoding: .utf8)
        let config = String(decoding: try JSONEncoder.canonical.encode(JSONValue.object(settings)), as: UTF8.self)
        var lines = template.components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.hasPrefix("const CONFIG = ") }) else {
            throw EdgeFunctionError.forbidden("a template without a 'const CONFIG = {...};' line")
        }
        lines[index] = "const CONFIG = \(config);"
        let code = FunctionCode(text: lines.joined(separator: "\n"))
        try code.check()
        return code
    }

    func check() throws {
        let bytes = text.utf8.count
        if bytes > Self.maxBytes { throw EdgeFunctionError.codeTooLarge(bytes: bytes) }
        for (pattern, what) in Self.forbidden where text.contains(pattern) { throw EdgeFunctionError.forbidden(what) }
        for line in text.components(separatedBy: "\n") where line.hasPrefix("import ") {
            if !(line.hasSuffix("from 'cloudfront';") || line.hasSuffix("from 'crypto';")) {
                throw EdgeFunctionError.forbidden("a module other than cloudfront and crypto (\(line))")
            }
        }
    }

    /// `LDEDGE_TEMPLATES`, else `templates/` found walking up from the workflow folder, the current
    /// folder and the `ldedge` executable.
    static func locate(_ context: StepContext) throws -> URL {
        var searched: [String] = []
        if let root = context.environment["LDEDGE_TEMPLATES"] {
            let url = URL(fileURLWithPath: root).appendingPathComponent(templateName)
            if FileManager.default.fileExists(atPath: url.path) { return url }
            searched.append(url.path)
        }
        var starts = [context.workflowDirectory, URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        if executable.path.hasPrefix("/") { starts.append(executable.deletingLastPathComponent()) }
        for start in starts {
            var folder = start.standardizedFileURL
            while true {
                let candidate = folder.appendingPathComponent("templates").appendingPathComponent(templateName)
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
            searched.append("\(start.path) and its parents")
        }
        throw EdgeFunctionError.templateNotFound(searched: searched)
    }
}

extension EdgeFunctionStep {
    /// The settings baked into the function's CONFIG line.
    func functionSettings() -> [String: JSONValue] {
        let key = ContextKeySource(input.contextKey) ?? ContextKeySource.clientIp
        return [
            "flag": .string(input.flag), "recordKey": .string(recordKey),
            "oldPrefix": .string(input.oldPrefix ?? "/site/"), "newPrefix": .string(input.newPrefix ?? "/site/beta/"),
            "mode": .string(mode.rawValue), "pagesOnly": .bool(input.pagesOnly ?? true),
            "source": .string(key.source), "name": .string(key.name), "contextKind": .string(input.contextKind ?? "user"),
        ]
    }
}

extension ContextKeySource {
    static let clientIp = ContextKeySource(source: "clientIp", name: "")

    init(source: String, name: String) {
        self.source = source
        self.name = name
    }
}
