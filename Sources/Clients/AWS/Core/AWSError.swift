import Foundation

/// An error response from an AWS service, with everything needed to act on it.
public struct AWSServiceError: Error, Sendable, Equatable {
    public var service: AWSService
    public var operation: String
    /// The resource the call was about ("bucket my-site", "function edge-router"), when known.
    public var resource: String?
    public var status: Int
    public var code: String
    public var message: String
    public var requestId: String?

    public init(service: AWSService, operation: String, resource: String? = nil, status: Int, code: String, message: String, requestId: String? = nil) {
        self.service = service
        self.operation = operation
        self.resource = resource
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
    }
}

/// Every failure the AWS client reports.
public enum AWSError: Error, Sendable, CustomStringConvertible {
    /// The service answered with an error.
    case service(AWSServiceError)
    /// A mutating call was refused because the client is in dry-run mode.
    case dryRun(service: AWSService, operation: String, resource: String?)
    /// Credentials could not be obtained.
    case credentials(CredentialError)
    /// Configuration is missing or inconsistent (region, endpoint, profile).
    case configuration(String)
    /// The request never got an HTTP answer (connection refused, reset, timeout).
    case transport(service: AWSService, operation: String, resource: String?, underlying: String)
    /// The answer could not be decoded; `field` names what was missing or malformed.
    case decoding(service: AWSService, operation: String, field: String, detail: String)
    /// A waiter gave up.
    case waiterTimeout(service: AWSService, what: String, resource: String, waited: TimeInterval, lastState: String)
    /// A local precondition failed before anything was sent (bad input).
    case invalidRequest(service: AWSService, operation: String, reason: String)

    /// The service error, if this is one.
    public var serviceError: AWSServiceError? {
        if case let .service(error) = self { return error }
        return nil
    }

    /// The AWS error code, if the service answered with one.
    public var code: String? { serviceError?.code }

    /// True for "does not exist" answers (404, NoSuchBucket, NoSuchEntity, ResourceNotFoundException ...).
    public var isNotFound: Bool {
        guard let error = serviceError else { return false }
        return error.status == 404 || AWSError.notFoundCodes.contains(error.code) || error.code.hasSuffix(".NotFound")
    }

    /// Lambda refused to delete a function because CloudFront still has replicas of it
    /// (hours after the association was removed). Retry later; nothing is wrong.
    public var isReplicatedFunction: Bool {
        guard let error = serviceError else { return false }
        return error.service == .lambda && error.code == "InvalidParameterValueException" && error.message.contains("replicated function")
    }

    /// A role created moments ago is not yet visible to Lambda (IAM is eventually consistent).
    public var isRoleNotYetAssumable: Bool {
        guard let error = serviceError else { return false }
        return error.service == .lambda && error.code == "InvalidParameterValueException" && error.message.contains("cannot be assumed")
    }

    static let notFoundCodes: Set<String> = [
        "NoSuchBucket", "NoSuchKey", "NotFound", "NoSuchEntity", "ResourceNotFoundException", "ParameterNotFound",
        "NoSuchDistribution", "NoSuchOriginAccessControl", "NoSuchInvalidation", "NoSuchBucketPolicy",
        "NoSuchPublicAccessBlockConfiguration", "NoSuchUpload", "ClusterNotFoundException", "ServiceNotFoundException",
    ]

    public var description: String {
        switch self {
        case let .service(e):
            var text = "\(e.service.displayName) \(e.operation)"
            if let resource = e.resource { text += " (\(resource))" }
            text += " failed: HTTP \(e.status) \(e.code)"
            if !e.message.isEmpty { text += ": \(e.message)" }
            if let id = e.requestId { text += " [request id \(id)]" }
            if let hint = AWSError.hint(for: e) { text += ". \(hint)" }
            return text
        case let .dryRun(service, operation, resource):
            return "dry run: refused to send \(service.displayName) \(operation)\(resource.map { " (\($0))" } ?? ""); nothing was changed. Run without --dry-run to apply."
        case let .credentials(error):
            return error.description
        case let .configuration(message):
            return "AWS configuration: \(message)"
        case let .transport(service, operation, resource, underlying):
            return "\(service.displayName) \(operation)\(resource.map { " (\($0))" } ?? "") could not reach the endpoint: \(underlying). Check the network, AWS_ENDPOINT_URL and the region."
        case let .decoding(service, operation, field, detail):
            return "\(service.displayName) \(operation): unexpected response, field \(field): \(detail)"
        case let .waiterTimeout(service, what, resource, waited, lastState):
            return "\(service.displayName): \(resource) did not become \(what) within \(Int(waited)) s (last state: \(lastState)). It may still finish; run the command again to resume."
        case let .invalidRequest(service, operation, reason):
            return "\(service.displayName) \(operation): \(reason)"
        }
    }

    /// What the user can do about common errors.
    static func hint(for error: AWSServiceError) -> String? {
        switch error.code {
        case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
            let denied = IAMActionName.denied(error)
            return "IAM does not allow \(denied.action) on \(denied.resource) for these credentials; "
                + "`ldedge iam-policy WORKFLOW` prints the policy this workflow needs (docs/iam.md)"
        case "InvalidAccessKeyId", "UnrecognizedClientException", "InvalidClientTokenId":
            return "The access key is not recognised; check AWS_ACCESS_KEY_ID / the profile"
        case "SignatureDoesNotMatch":
            return "The secret key does not match the access key, or the clock is off; check the credentials and the system time"
        case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
            return "The session token has expired; refresh the credentials (for example aws sso login) and retry"
        case "BucketNotEmpty":
            return "Delete the bucket's objects first, then delete the bucket"
        case "NoSuchBucket":
            return "The bucket does not exist (or is in another account); check the bucket name"
        case "DeleteConflict":
            return "Detach the role's managed policies and delete its inline policies first"
        case "EntityAlreadyExists":
            return "An entity with this name already exists; adopt it or choose another name"
        case "BucketAlreadyExists":
            return "Bucket names are global; choose another bucket name"
        case "PreconditionFailed":
            return "The resource changed since it was read; re-read it and apply the change again"
        case "DistributionNotDisabled":
            return "Disable the distribution, wait until it is Deployed, then delete it"
        case "InvalidLambdaFunctionAssociation":
            return "CloudFront needs a numbered version ARN of a function in us-east-1 (…:function:NAME:7), not $LATEST or an alias"
        case "ResourceConflictException":
            return "The function is being updated; wait for LastUpdateStatus Successful and retry"
        default:
            return nil
        }
    }
}
