import BuiltinSteps
import Foundation
import LDEdgeCore
import XCTest

/// Every built-in step declares its inputs twice: `inputs` (validation, `ldedge steps`, the
/// JSON Schema) and the `Input` it decodes. This proves the two views agree for every kind:
/// a value with only the declared required inputs decodes, one with every declared input
/// decodes, and each declared input is really read (a value of the wrong type for it fails).
final class InputDeclarationTests: XCTestCase {
    func testDeclaredInputsAndDecodedInputAgreeForEveryBuiltIn() throws {
        XCTAssertFalse(StepRegistry.builtinKinds.isEmpty)
        for kind in StepRegistry.builtinKinds {
            let required = Self.sample(.object(kind.inputs.filter(\.required)))
            XCTAssertNoThrow(try kind.makeStep(id: "s", input: required), "\(kind.kind): the declared required inputs alone do not decode")
            let full = Self.sample(.object(kind.inputs), allFields: true)
            XCTAssertNoThrow(try kind.makeStep(id: "s", input: full), "\(kind.kind): the declared inputs do not decode: \(full)")
            guard case .object(let members) = full else { continue }
            for field in kind.inputs {
                var broken = members
                broken[field.name] = Self.wrongValue(for: field.type)
                XCTAssertThrowsError(
                    try kind.makeStep(id: "s", input: .object(broken)),
                    "\(kind.kind): input '\(field.name)' is declared but the step's Input never reads it")
            }
        }
    }

    /// A valid value of a type: the first choice, one list element, the required fields (or all).
    static func sample(_ type: InputType, allFields: Bool = false) -> JSONValue {
        switch type {
        case .string: return .string("x")
        case .integer, .number: return .number(1)
        case .boolean: return .bool(true)
        case .choice(let values): return .string(values.first ?? "")
        case .list(let element): return .array([sample(element)])
        case .object(let fields):
            var object: [String: JSONValue] = [:]
            for field in fields where allFields || field.required { object[field.name] = sample(field.type) }
            return .object(object)
        case .dictionary(let value): return .object(["k": sample(value)])
        case .oneOf(let types): return types.first.map { sample($0) } ?? .null
        }
    }

    /// A value no decoder of that type accepts.
    static func wrongValue(for type: InputType) -> JSONValue {
        switch type {
        case .string, .choice: return .array([.array([])])
        case .integer, .number, .boolean: return .array([.array([])])
        case .list: return .number(1.5)
        case .object, .dictionary: return .number(1.5)
        case .oneOf: return .array([.array([.array([])])])
        }
    }
}
