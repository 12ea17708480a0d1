import Foundation

/// Injected failures (`POST /_sandbox/faults`). A lock rather than an actor: every request checks it.
final class FaultInjector: @unchecked Sendable {
    private let lock = NSLock()
    private var faults: [SandboxFault] = []

    func add(_ new: [SandboxFault]) {
        lock.lock()
        faults.append(contentsOf: new)
        lock.unlock()
    }

    func clear() {
        lock.lock()
        faults = []
        lock.unlock()
    }

    var all: [SandboxFault] {
        lock.lock()
        defer { lock.unlock() }
        return faults
    }

    /// The first fault matching the request, consuming one of its uses.
    func take(method: String, path: String) -> SandboxFault? {
        lock.lock()
        defer { lock.unlock() }
        guard !faults.isEmpty, let index = faults.firstIndex(where: { $0.matches(method: method, path: path) }) else { return nil }
        let fault = faults[index]
        let remaining = (fault.count ?? 1) - 1
        if remaining <= 0 { faults.remove(at: index) } else { faults[index].count = remaining }
        return fault
    }
}
