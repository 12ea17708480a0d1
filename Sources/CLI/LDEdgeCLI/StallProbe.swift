import Foundation

/// `LDEDGE_STALL_PROBE=FILE`: a task on Swift's cooperative pool wakes every 10 ms and writes to
/// FILE the longest it was late, in milliseconds. A late wake-up means every pool thread was busy
/// or blocked; ldedge blocks none (child processes, zip workers and plugin calls wait
/// asynchronously or on threads of their own), which `StallTests` checks through this probe.
enum StallProbe {
    static let interval = Duration.milliseconds(10)

    static func start(_ environment: [String: String]) {
        guard let path = environment["LDEDGE_STALL_PROBE"], !path.isEmpty else { return }
        let file = URL(fileURLWithPath: path)
        Task.detached(priority: .high) {
            let clock = ContinuousClock()
            var worst = Duration.zero
            var samples = 0
            while !Task.isCancelled {
                let asleep = clock.now
                try? await Task.sleep(for: interval)
                let late = clock.now - asleep - interval
                samples += 1
                if late > worst || samples == 1 {
                    worst = max(worst, late)
                    let milliseconds = Double(worst.components.seconds) * 1000 + Double(worst.components.attoseconds) / 1e15
                    try? Data(String(format: "%.1f\n", milliseconds).utf8).write(to: file, options: .atomic)
                }
            }
        }
    }
}
