import Foundation

/// A Lambda@Edge runtime the handler templates support, with what building for it involves.
public enum HandlerRuntime: String, Decodable, Sendable, CaseIterable {
    case python312 = "python3.12"
    case nodejs20 = "nodejs20.x"

    /// The built-in template folder, under the project's `templates/`.
    var templateName: String {
        switch self {
        case .python312: return "handler-python"
        case .nodejs20: return "handler-node"
        }
    }

    /// Lambda's `Handler` setting for the template's entry point.
    var handler: String {
        switch self {
        case .python312: return "handler.handler"
        case .nodejs20: return "index.handler"
        }
    }

    /// The dependency manifest in the template; its content keys the dependency cache.
    var manifests: [String] {
        switch self {
        case .python312: return ["requirements.txt"]
        case .nodejs20: return ["package.json", "package-lock.json"]
        }
    }

    /// What Lambda never loads, removed from installed dependencies. A pattern without `/` matches
    /// any path component; one with `/` matches the path from the dependency folder's root.
    var strippedPatterns: [String] {
        switch self {
        case .python312:
            return [
                "__pycache__", "*.pyc", "tests", "test", "bin", "*.dist-info/RECORD", "*.dist-info/INSTALLER",
                "*.dist-info/REQUESTED", "*.dist-info/direct_url.json",
                // SDK integrations that need packages the handler never installs.
                "ldclient/impl/integrations/consul", "ldclient/impl/integrations/dynamodb", "ldclient/impl/integrations/redis",
            ]
        case .nodejs20:
            return ["test", "tests", "__tests__", "*.md", "*.map", "*.d.ts", "*.ts.map", ".package-lock.json"]
        }
    }
}
