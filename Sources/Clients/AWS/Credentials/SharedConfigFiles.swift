import Foundation

/// `~/.aws/credentials` and `~/.aws/config`, parsed into profiles.
///
/// In the config file profiles are `[profile NAME]` (except `[default]`); in the
/// credentials file they are `[NAME]`. Keys from the credentials file win.
public struct SharedConfigFiles: Sendable {
    public var credentialsPath: String
    public var configPath: String
    var credentialProfiles: [String: [String: String]]
    var configProfiles: [String: [String: String]]

    public init(credentialsPath: String, configPath: String, credentialsText: String?, configText: String?) {
        self.credentialsPath = credentialsPath
        self.configPath = configPath
        credentialProfiles = Self.parse(credentialsText ?? "", isConfigFile: false)
        configProfiles = Self.parse(configText ?? "", isConfigFile: true)
    }

    /// Reads the files named by `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE` or the defaults under `~/.aws`.
    public static func load(environment: [String: String]) throws -> SharedConfigFiles {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let credentialsPath = expandTilde(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials", home: home)
        let configPath = expandTilde(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config", home: home)
        return SharedConfigFiles(
            credentialsPath: credentialsPath,
            configPath: configPath,
            credentialsText: try readIfPresent(credentialsPath),
            configText: try readIfPresent(configPath)
        )
    }

    /// The merged settings of one profile, or nil when neither file defines it.
    public func profile(named name: String) -> [String: String]? {
        let fromConfig = configProfiles[name]
        let fromCredentials = credentialProfiles[name]
        if fromConfig == nil && fromCredentials == nil { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentials in credentials }
    }

    static func readIfPresent(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AWSError.configuration("cannot read \(path): \(error.localizedDescription)")
        }
    }

    static func expandTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst(1) }
        return path
    }

    /// A small INI parser: `[section]`, `key = value`, `#`/`;` comments, indented
    /// continuation lines (sub-sections such as `s3 =` are skipped).
    static func parse(_ text: String, isConfigFile: Bool) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        var current: String?
        var inSubsection = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = String(rawLine)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") {
                var name = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                inSubsection = false
                if isConfigFile {
                    if name.hasPrefix("profile ") {
                        name = String(name.dropFirst("profile ".count)).trimmingCharacters(in: .whitespaces)
                    } else if name != "default" {
                        current = nil  // [sso-session x], [services x]: not profiles
                        continue
                    }
                }
                current = name
                if result[name] == nil { result[name] = [:] }
                continue
            }
            guard let section = current else { continue }
            let isIndented = line.first == " " || line.first == "\t"
            if isIndented && inSubsection { continue }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if let comment = value.range(of: " #") ?? value.range(of: " ;") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            if value.isEmpty && !isIndented {
                inSubsection = true
                continue
            }
            inSubsection = false
            result[section, default: [:]][key] = value
        }
        return result
    }
}
