import Foundation

/// Edits one statement of a bucket policy, leaving every other statement as it was.
enum BucketPolicy {
    /// The statement letting one distribution (through its Origin Access Control) read the bucket.
    static func cloudFrontReadStatement(sid: String, bucket: String, distributionArn: String) -> [String: Any] {
        [
            "Sid": sid, "Effect": "Allow",
            "Principal": ["Service": "cloudfront.amazonaws.com"],
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::\(bucket)/*",
            "Condition": ["StringEquals": ["AWS:SourceArn": distributionArn]],
        ]
    }

    /// `policy` with the statement `sid` replaced by `statement` (or removed when nil);
    /// nil when no statement is left.
    static func replacing(sid: String, with statement: [String: Any]?, in policy: String?) throws -> String? {
        var document: [String: Any] = ["Version": "2012-10-17", "Statement": [Any]()]
        if let policy, let data = policy.data(using: .utf8),
           let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
            document = parsed
        }
        var statements: [Any]
        if let list = document["Statement"] as? [Any] {
            statements = list
        } else if let single = document["Statement"] {
            statements = [single]
        } else {
            statements = []
        }
        statements.removeAll { ($0 as? [String: Any])?["Sid"] as? String == sid }
        if let statement { statements.append(statement) }
        if statements.isEmpty { return nil }
        document["Statement"] = statements
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func contains(sid: String, in policy: String?) -> Bool {
        guard let policy, let data = policy.data(using: .utf8),
              let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        let statements = (document["Statement"] as? [Any]) ?? [document["Statement"] as Any]
        return statements.contains { ($0 as? [String: Any])?["Sid"] as? String == sid }
    }
}
