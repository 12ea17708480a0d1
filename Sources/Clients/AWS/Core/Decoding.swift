import Foundation
import XMLCoder

/// Decoding helpers that turn decoder failures into `AWSError.decoding` naming the field.
enum ResponseDecoding {
    static func xml<T: Decodable>(_ type: T.Type, from data: Data, service: AWSService, operation: String) throws -> T {
        let decoder = XMLDecoder()
        decoder.shouldProcessNamespaces = true
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw describe(error, service: service, operation: operation)
        } catch {
            throw AWSError.decoding(service: service, operation: operation, field: "(document)", detail: "\(error)")
        }
    }

    static func json<T: Decodable>(_ type: T.Type, from data: Data, service: AWSService, operation: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw describe(error, service: service, operation: operation)
        } catch {
            throw AWSError.decoding(service: service, operation: operation, field: "(document)", detail: "\(error)")
        }
    }

    static func describe(_ error: DecodingError, service: AWSService, operation: String) -> AWSError {
        func path(_ codingPath: [CodingKey], _ last: CodingKey? = nil) -> String {
            let keys = (codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "(document)" : keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .keyNotFound(key, context):
            return .decoding(service: service, operation: operation, field: path(context.codingPath, key), detail: "required field is missing")
        case let .valueNotFound(_, context):
            return .decoding(service: service, operation: operation, field: path(context.codingPath), detail: "required value is empty")
        case let .typeMismatch(type, context):
            return .decoding(service: service, operation: operation, field: path(context.codingPath), detail: "expected \(type)")
        case let .dataCorrupted(context):
            return .decoding(service: service, operation: operation, field: path(context.codingPath), detail: context.debugDescription)
        @unknown default:
            return .decoding(service: service, operation: operation, field: "(document)", detail: "\(error)")
        }
    }
}

/// AWS timestamps: ISO 8601 with or without fractional seconds, or RFC 1123 (HTTP headers).
public enum AWSTimestamp {
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: trimmed) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: trimmed) { return date }
        // Lambda: 2024-01-02T03:04:05.678+0000
        let lambda = DateFormatter()
        lambda.locale = Locale(identifier: "en_US_POSIX")
        lambda.timeZone = TimeZone(secondsFromGMT: 0)
        for format in ["yyyy-MM-dd'T'HH:mm:ss.SSSZ", "yyyy-MM-dd'T'HH:mm:ssZ", "EEE, dd MMM yyyy HH:mm:ss zzz", "yyyy-MM-dd'T'HH:mm:ss.SSSSSS", "yyyy-MM-dd'T'HH:mm:ss"] {
            lambda.dateFormat = format
            if let date = lambda.date(from: trimmed) { return date }
        }
        if let seconds = Double(trimmed) { return Date(timeIntervalSince1970: seconds) }
        return nil
    }
}

extension XMLTreeNode {
    /// The text of a required child, or an `AWSError.decoding` naming it.
    func requiredText(_ name: String, service: AWSService, operation: String, context: String? = nil) throws -> String {
        guard let node = child(name) else {
            throw AWSError.decoding(service: service, operation: operation, field: [context ?? self.name, name].joined(separator: "."), detail: "required field is missing")
        }
        return node.text
    }

    func optionalText(_ name: String) -> String? { child(name)?.text }
}
