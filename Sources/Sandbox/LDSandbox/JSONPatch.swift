import LaunchDarkly

/// RFC 6902 JSON Patch over `JSONValue`: add, remove, replace, move, copy, test.
enum JSONPatch {
    struct Failure: Error {
        var message: String
    }

    static func apply(_ operations: [JSONValue], to document: JSONValue) throws -> JSONValue {
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw Failure(message: "each patch operation needs 'op' and 'path'")
            }
            let pointer = try parse(path)
            switch op {
            case "add":
                result = try set(result, pointer, try value(operation), insert: true)
            case "replace":
                _ = try get(result, pointer)
                result = try set(result, pointer, try value(operation), insert: false)
            case "remove":
                result = try remove(result, pointer)
            case "test":
                guard try get(result, pointer) == (try value(operation)) else {
                    throw Failure(message: "test failed at \(path)")
                }
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else { throw Failure(message: "\(op) needs 'from'") }
                let source = try parse(from)
                let moved = try get(result, source)
                if op == "move" { result = try remove(result, source) }
                result = try set(result, pointer, moved, insert: true)
            default:
                throw Failure(message: "unsupported patch op '\(op)'")
            }
        }
        return result
    }

    private static func value(_ operation: JSONValue) throws -> JSONValue {
        guard let value = operation["value"] else { throw Failure(message: "operation needs 'value'") }
        return value
    }

    private static func parse(_ path: String) throws -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw Failure(message: "path '\(path)' must start with /") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func get(_ document: JSONValue, _ pointer: [String]) throws -> JSONValue {
        var current = document
        for token in pointer {
            switch current {
            case .object(let members):
                guard let next = members[token] else { throw Failure(message: "no member '\(token)'") }
                current = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else { throw Failure(message: "bad index '\(token)'") }
                current = items[index]
            default:
                throw Failure(message: "cannot descend into '\(token)'")
            }
        }
        return current
    }

    private static func set(_ document: JSONValue, _ pointer: [String], _ value: JSONValue, insert: Bool) throws -> JSONValue {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var members):
            if rest.isEmpty {
                members[token] = value
            } else {
                guard let child = members[token] else { throw Failure(message: "no member '\(token)'") }
                members[token] = try set(child, rest, value, insert: insert)
            }
            return .object(members)
        case .array(var items):
            if rest.isEmpty {
                if token == "-" {
                    items.append(value)
                } else if let index = Int(token), insert ? (0...items.count).contains(index) : items.indices.contains(index) {
                    if insert { items.insert(value, at: index) } else { items[index] = value }
                } else {
                    throw Failure(message: "bad index '\(token)'")
                }
            } else {
                guard let index = Int(token), items.indices.contains(index) else { throw Failure(message: "bad index '\(token)'") }
                items[index] = try set(items[index], rest, value, insert: insert)
            }
            return .array(items)
        default:
            throw Failure(message: "cannot descend into '\(token)'")
        }
    }

    private static func remove(_ document: JSONValue, _ pointer: [String]) throws -> JSONValue {
        guard let token = pointer.first else { throw Failure(message: "cannot remove the whole document") }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var members):
            guard let child = members[token] else { throw Failure(message: "no member '\(token)'") }
            members[token] = rest.isEmpty ? nil : try remove(child, rest)
            return .object(members)
        case .array(var items):
            guard let index = Int(token), items.indices.contains(index) else { throw Failure(message: "bad index '\(token)'") }
            if rest.isEmpty { items.remove(at: index) } else { items[index] = try remove(items[index], rest) }
            return .array(items)
        default:
            throw Failure(message: "cannot descend into '\(token)'")
        }
    }
}
