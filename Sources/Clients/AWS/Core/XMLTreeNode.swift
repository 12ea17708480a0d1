import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A minimal, lossless-enough XML element tree: names, attributes (in order), child
/// elements and text. Used where ldedge must edit a document it only partly
/// understands (a CloudFront `DistributionConfig`) and send the rest back unchanged.
public struct XMLTreeNode: Sendable, Equatable {
    public enum Child: Sendable, Equatable {
        case element(XMLTreeNode)
        case text(String)
    }

    public struct Attribute: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var name: String
    public var attributes: [Attribute]
    public var children: [Child]

    public init(name: String, attributes: [Attribute] = [], children: [Child] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    /// An element holding only text.
    public init(name: String, text: String) {
        self.init(name: name, children: [.text(text)])
    }

    /// Parses a document and returns its root element.
    public init(parsing data: Data) throws {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else {
            let reason = delegate.failure ?? parser.parserError.map { "\($0)" } ?? "not an XML document"
            throw XMLTreeError(reason: reason)
        }
        self = root
    }

    /// The element's own text (concatenated text children).
    public var text: String {
        children.compactMap { if case let .text(t) = $0 { return t } else { return nil } }.joined()
    }

    /// Direct child elements.
    public var elements: [XMLTreeNode] {
        children.compactMap { if case let .element(e) = $0 { return e } else { return nil } }
    }

    /// The first direct child element named `name`.
    public func child(_ name: String) -> XMLTreeNode? {
        elements.first { $0.name == name }
    }

    /// Follows a path of child names (`["DefaultCacheBehavior", "TargetOriginId"]`).
    public func child(path: [String]) -> XMLTreeNode? {
        var node: XMLTreeNode? = self
        for name in path { node = node?.child(name) }
        return node
    }

    /// The first descendant element named `name` (depth first).
    public func descendant(_ name: String) -> XMLTreeNode? {
        for element in elements {
            if element.name == name { return element }
            if let found = element.descendant(name) { return found }
        }
        return nil
    }

    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    /// Replaces the first child named `element.name`, or inserts it before the first
    /// child whose name is in `before` (schema order), or appends it.
    public mutating func setChild(_ element: XMLTreeNode, insertBefore before: [String] = []) {
        if let index = children.firstIndex(where: { if case let .element(e) = $0 { return e.name == element.name } else { return false } }) {
            children[index] = .element(element)
            return
        }
        if let index = children.firstIndex(where: { if case let .element(e) = $0 { return before.contains(e.name) } else { return false } }) {
            children.insert(.element(element), at: index)
        } else {
            children.append(.element(element))
        }
    }

    /// Sets the text of the child `name` (creating it if absent).
    public mutating func setChildText(_ name: String, _ text: String, insertBefore before: [String] = []) {
        setChild(XMLTreeNode(name: name, text: text), insertBefore: before)
    }

    /// Applies `body` to the first child named `name`; returns false when there is none.
    @discardableResult
    public mutating func modifyChild(_ name: String, _ body: (inout XMLTreeNode) throws -> Void) rethrows -> Bool {
        for index in children.indices {
            if case var .element(e) = children[index], e.name == name {
                try body(&e)
                children[index] = .element(e)
                return true
            }
        }
        return false
    }

    /// Serialises the element (with an XML declaration when `declaration` is true).
    public func xmlString(declaration: Bool = true) -> String {
        var out = declaration ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" : ""
        write(to: &out)
        return out
    }

    public func xmlData(declaration: Bool = true) -> Data {
        Data(xmlString(declaration: declaration).utf8)
    }

    private func write(to out: inout String) {
        out += "<" + name
        for attribute in attributes {
            out += " \(attribute.name)=\"\(Self.escape(attribute.value, attribute: true))\""
        }
        if children.isEmpty {
            out += "/>"
            return
        }
        out += ">"
        for child in children {
            switch child {
            case let .element(e): e.write(to: &out)
            case let .text(t): out += Self.escape(t, attribute: false)
            }
        }
        out += "</\(name)>"
    }

    static func escape(_ value: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(value.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

public struct XMLTreeError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var description: String { "malformed XML: \(reason)" }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLTreeNode] = []
    var root: XMLTreeNode?
    var failure: String?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        // XMLParser gives attributes as a dictionary; sort for a stable order.
        let attrs = attributes.sorted { $0.key < $1.key }.map { XMLTreeNode.Attribute(name: $0.key, value: $0.value) }
        stack.append(XMLTreeNode(name: qualifiedName ?? elementName, attributes: attrs))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        if case let .text(existing)? = stack[stack.count - 1].children.last {
            stack[stack.count - 1].children[stack[stack.count - 1].children.count - 1] = .text(existing + string)
        } else {
            stack[stack.count - 1].children.append(.text(string))
        }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        self.parser(parser, foundCharacters: String(decoding: CDATABlock, as: UTF8.self))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard var node = stack.popLast() else { return }
        // Drop indentation between child elements; keep text of leaf elements exactly.
        if node.children.contains(where: { if case .element = $0 { return true } else { return false } }) {
            node.children.removeAll { if case let .text(t) = $0 { return t.allSatisfy(\.isWhitespace) } else { return false } }
        }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(.element(node))
        }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        failure = "\(parseError)"
    }
}
