import Foundation

/// Everything that can go wrong talking to LaunchDarkly, with messages that say what to do next.
/// No case ever carries the access token.
public enum LaunchDarklyError: Error, Equatable, CustomStringConvertible {
    case missingAccessToken
    case invalidBaseURI(String)
    case unauthorized(message: String)
    case forbidden(message: String)
    case notFound(resource: String, message: String)
    case flagAlreadyExists(project: String, key: String)
    case conflict(resource: String, message: String)
    case approvalRequired(resource: String, message: String)
    case rateLimited(attempts: Int)
    case invalidRequest(code: String, message: String)
    case unexpectedStatus(status: Int, code: String?, message: String?)
    case transport(String)
    case decoding(what: String, detail: String)
    case dryRun(operation: String)
    case invalidRolloutPercentages(String)
    case unknownVariation(flag: String, detail: String)

    public var description: String {
        switch self {
        case .missingAccessToken:
            return "no LaunchDarkly access token: set LD_ACCESS_TOKEN (an API access token with writer role) or launchdarkly.accessToken in the workflow"
        case .invalidBaseURI(let uri):
            return "LaunchDarkly base URI '\(uri)' is not an http(s) URL: set LD_BASE_URI to e.g. https://app.launchdarkly.com"
        case .unauthorized(let message):
            return "LaunchDarkly rejected the access token (\(message)): check LD_ACCESS_TOKEN is a valid, unexpired API access token for this account and base URI"
        case .forbidden(let message):
            return "the access token may not do this (\(message)): use a token with a writer (or custom) role that covers the project and environment"
        case .notFound(let resource, let message):
            return "\(resource) was not found (\(message)): check the project, environment and flag keys"
        case .flagAlreadyExists(let project, let key):
            return "flag '\(key)' already exists in project '\(project)': adopt it instead of creating it, or choose another key"
        case .conflict(let resource, let message):
            return "\(resource) was changed by someone else at the same time (\(message)): re-run to retry against the current version"
        case .approvalRequired(let resource, let message):
            return "this environment requires approvals; ldedge cannot bypass them (\(resource): \(message)): request the change in LaunchDarkly or use an environment without required approvals"
        case .rateLimited(let attempts):
            return "LaunchDarkly kept rate limiting the request (429) after \(attempts) attempts: wait a minute and re-run"
        case .invalidRequest(let code, let message):
            return "LaunchDarkly rejected the request as invalid (\(code): \(message))"
        case .unexpectedStatus(let status, let code, let message):
            let detail = [code, message].compactMap { $0 }.joined(separator: ": ")
            return "LaunchDarkly answered HTTP \(status)\(detail.isEmpty ? "" : " (\(detail))"): retry later; if it persists check https://status.launchdarkly.com"
        case .transport(let detail):
            return "could not reach LaunchDarkly (\(detail)): check LD_BASE_URI and the network"
        case .decoding(let what, let detail):
            return "could not read the \(what) LaunchDarkly returned (\(detail)): is LD_BASE_URI a LaunchDarkly API host?"
        case .dryRun(let operation):
            return "dry run: '\(operation)' would change LaunchDarkly and was not sent"
        case .invalidRolloutPercentages(let detail):
            return "invalid rollout percentages: \(detail)"
        case .unknownVariation(let flag, let detail):
            return "flag '\(flag)' has no such variation (\(detail)): check the flag's variations"
        }
    }
}
