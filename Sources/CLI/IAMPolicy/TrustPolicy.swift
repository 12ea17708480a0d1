import Foundation

/// The trust policy of a role that GitHub Actions assumes through OIDC (`--trust github:OWNER/REPO[:REF]`).
public struct GitHubTrust: Equatable, Sendable {
    public var owner: String
    public var repository: String
    /// `refs/heads/main`, `refs/tags/v1`, or `environment:production`; nil: any ref of the repository.
    public var ref: String?

    /// Parses `github:OWNER/REPO[:REF]`; a bare branch name means `refs/heads/NAME`.
    public init(_ text: String) throws {
        guard text.hasPrefix("github:") else { throw IAMPolicyError.badTrust(text) }
        let rest = text.dropFirst("github:".count)
        let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let names = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard names.count == 2, !names[0].isEmpty, !names[1].isEmpty, names.allSatisfy({ $0.allSatisfy(allowed) }) else {
            throw IAMPolicyError.badTrust(text)
        }
        owner = String(names[0])
        repository = String(names[1])
        if parts.count > 1 {
            let ref = String(parts[1])
            guard !ref.isEmpty, !ref.contains("*"), !ref.contains("\"") else { throw IAMPolicyError.badTrust(text) }
            self.ref = ref.hasPrefix("refs/") || ref.hasPrefix("environment:") || ref.hasPrefix("pull_request") ? ref : "refs/heads/\(ref)"
        }
    }

    /// GitHub's `sub` claim this trust accepts.
    public var subject: String {
        "repo:\(owner)/\(repository):\(ref ?? "*")"
    }

    /// The role's trust policy for `account` (docs/ci.md): GitHub's OIDC provider, this repository's subject.
    public func document(account: String, partition: String = "aws") -> String {
        let provider = "token.actions.githubusercontent.com"
        let condition: [String: Any] = ref == nil
            ? ["StringEquals": ["\(provider):aud": "sts.amazonaws.com"], "StringLike": ["\(provider):sub": subject]]
            : ["StringEquals": ["\(provider):aud": "sts.amazonaws.com", "\(provider):sub": subject]]
        let document: [String: Any] = [
            "Version": "2012-10-17",
            "Statement": [[
                "Effect": "Allow",
                "Principal": ["Federated": "arn:\(partition):iam::\(account):oidc-provider/\(provider)"],
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            ] as [String: Any]],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
