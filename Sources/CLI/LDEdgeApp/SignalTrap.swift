import ChildProcess
import Foundation
import LDEdgeCore
import Synchronization

/// Turns SIGINT/SIGTERM into a stop between two changes (then rollback); a second signal exits.
public final class SignalTrap: Sendable {
    private struct Installed {
        var sources: [any DispatchSourceSignal] = []
        var count = 0
    }
    private let installed = Mutex(Installed())

    public static func install(console: Console) -> SignalTrap {
        let trap = SignalTrap()
        trap.installed.withLock { installed in
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { [weak trap] in
                    guard let trap else { return }
                    let count = trap.installed.withLock { installed in
                        installed.count += 1
                        return installed.count
                    }
                    if count == 1 {
                        console.err("interrupted: stopping the command in progress (or finishing the current AWS or LaunchDarkly change), then rolling back (signal again to stop at once; 'ldedge teardown' cleans up)")
                        InterruptFlag.shared.raise()
                    } else {
                        // Stopping at once: nothing ldedge started may keep running.
                        ChildProcess.killAll()
                        exit(130)
                    }
                }
                source.resume()
                installed.sources.append(source)
            }
        }
        return trap
    }

    public func remove() {
        let sources = installed.withLock { installed in
            defer { installed.sources = [] }
            return installed.sources
        }
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
