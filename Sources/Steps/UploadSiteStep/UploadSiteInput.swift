import Foundation

/// Where the site comes from: a local folder, or a folder of a git repository at a ref.
public enum SiteSource: Decodable, Sendable, Equatable {
    case folder(String)
    case git(url: String, ref: String?, path: String?)

    struct GitSpec: Decodable {
        var git: String
        var ref: String?
        var path: String?
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let path = try? container.decode(String.self) {
            self = .folder(path)
        } else {
            let spec = try container.decode(GitSpec.self)
            self = .git(url: spec.git, ref: spec.ref, path: spec.path)
        }
    }

    /// The folder inside the source: `path` of a git source, the whole folder otherwise.
    var subpath: String? {
        if case .git(_, _, let path) = self { return path }
        return nil
    }
}

extension UploadSiteStep {
    public struct Input: Decodable, Sendable {
        public var source: SiteSource
        public var bucket: String
        public var prefix: String?
        public var `public`: Bool?
        public var delete: Bool?
        public var cacheControl: String?
        public var distribution: String?
        public var concurrency: Int?

        /// The key prefix, without leading slash, ending with "/" unless empty.
        var normalizedPrefix: String {
            var value = (prefix ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !value.isEmpty { value += "/" }
            return value
        }

        var cacheControlValue: String { cacheControl ?? UploadSiteStep.defaultCacheControl }
    }
}
