import Foundation
import Synchronization

/// Injected failures (`POST /_sandbox/faults`). A lock rather than an actor: every request checks it.
final class FaultInjector: Sendable {
    private let faults = Mutex<[SandboxFault]>([])

    func add(_ new: [SandboxFault]) {
        faults.withLock { $0.append(contentsOf: new) }
    }

    func clear() {
        faults.withLock { $0 = [] }
    }

    var all: [SandboxFault] {
        faults.withLock { $0 }
    }

    /// The first fault matching the request, consuming one of its uses.
    func take(method: String, path: String) -> SandboxFault? {
        faults.withLock { faults in
            guard !faults.isEmpty, let index = faults.firstIndex(where: { $0.matches(method: method, path: path) }) else { return nil }
            let fault = faults[index]
            let remaining = (fault.count ?? 1) - 1
            if remaining <= 0 { faults.remove(at: index) } else { faults[index].count = remaining }
            return fault
        }
    }
}
