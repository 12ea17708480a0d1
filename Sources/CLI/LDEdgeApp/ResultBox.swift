import Foundation
import LDEdgeCore
import Synchronization

/// Collects a command's result for the `summary` event.
final class ResultBox: Sendable {
    private let stored = Mutex<JSONValue?>(nil)

    var value: JSONValue? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
