import Foundation

/// A Lambda@Edge runtime the handler templates support, with what building for it involves.
public enum HandlerRuntime: String, Decodable, Sendable, CaseIterable {
    case python311 = "python3.11"
    case python312 = "python3.12"
    case python313 = "python3.13"
    case nodejs20 = "nodejs20.x"

    /// True for the Python runtimes (one template, dependencies installed with pip).
    var isPython: Bool { pythonVersion != nil }

    /// `3.12` for `python3.12`: what pip installs wheels for and what bytecode must match.
    var pythonVersion: String? {
        rawValue.hasPrefix("python") ? String(rawValue.dropFirst("python".count)) : nil
    }

    /// The built-in template folder, under the project's `templates/`.
    var templateName: String { isPython ? "handler-python" : "handler-node" }

    /// Lambda's `Handler` setting for the template's entry point.
    var handler: String { isPython ? "handler.handler" : "index.handler" }

    /// The dependency manifest in the template; its content keys the dependency cache.
    var manifests: [String] { isPython ? ["requirements.txt"] : ["package.json", "package-lock.json"] }

    /// What Lambda never loads, removed from installed dependencies. A pattern without `/` matches
    /// any path component; one with `/` matches the path from the dependency folder's root.
    var strippedPatterns: [String] {
        if isPython {
            return [
                "__pycache__", "*.pyc", "tests", "test", "bin", "*.dist-info/RECORD", "*.dist-info/INSTALLER",
                "*.dist-info/REQUESTED", "*.dist-info/direct_url.json",
                // The SDK's integrations all stay: `ldclient.integrations` imports every one of them
                // (Consul and Redis too), and daemon mode and the snapshot's file source import it.
            ]
        }
        return ["test", "tests", "__tests__", "*.md", "*.map", "*.d.ts", "*.ts.map", ".package-lock.json"]
    }
}
