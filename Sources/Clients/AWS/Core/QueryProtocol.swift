import Foundation

/// The AWS query protocol (IAM, STS): form-encoded POST, XML answer wrapped in `<OperationResult>`.
extension AWSClient {
    func queryCall<Result: Decodable>(
        _ service: AWSService, operation: String, version: String, parameters: [(String, String)],
        resource: String?, mutating: Bool, signed: Bool = true, result: Result.Type
    ) async throws -> Result {
        let response = try await queryCall(service, operation: operation, version: version, parameters: parameters, resource: resource, mutating: mutating, signed: signed)
        let envelope = try ResponseDecoding.xml(QueryEnvelope<Result>.self, from: response.body, service: service, operation: operation)
        return envelope.result
    }

    @discardableResult
    func queryCall(
        _ service: AWSService, operation: String, version: String, parameters: [(String, String)],
        resource: String?, mutating: Bool, signed: Bool = true
    ) async throws -> AWSHTTPResponse {
        let body = URIEncoding.formBody([("Action", operation), ("Version", version)] + parameters)
        return try await send(AWSHTTPRequest(
            service: service, operation: operation, resource: resource, method: .POST,
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Data(body.utf8), isMutating: mutating, signed: signed
        ))
    }
}

/// `<XResponse><XResult>…</XResult><ResponseMetadata/></XResponse>`: decodes the result element.
struct QueryEnvelope<Result: Decodable>: Decodable {
    let result: Result

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        guard let key = container.allKeys.first(where: { $0.stringValue.hasSuffix("Result") }) else {
            throw DecodingError.keyNotFound(AnyCodingKey("Result"), .init(codingPath: [], debugDescription: "no <…Result> element"))
        }
        result = try container.decode(Result.self, forKey: key)
    }
}

struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// An empty result for calls whose answer carries nothing ldedge needs.
struct EmptyResult: Decodable {}
