import Foundation
import LDEdgeCore
import Synchronization
import XCTest

/// Elapsed times and wait progress as steps report them (`StepContext.waiting`).
final class ElapsedTests: XCTestCase {
    func testElapsedTimes() {
        XCTAssertEqual(Elapsed.format(0.44), "0.4s")
        XCTAssertEqual(Elapsed.format(12.9), "12s")
        XCTAssertEqual(Elapsed.format(125), "2m05s")
        XCTAssertEqual(Elapsed.format(3725), "1h02m")
        XCTAssertEqual(Elapsed.format(-1), "0s")
        XCTAssertEqual(Elapsed.format(Duration.milliseconds(61_000)), "1m01s")
        XCTAssertEqual(Elapsed.whole(1), "1s")
        XCTAssertEqual(Elapsed.whole(185), "3m05s")
        XCTAssertEqual(Elapsed.whole(-3), "0s")
    }

    func testWaitProgressIsQuietForShortWaitsThenTicksWithTheElapsedTime() async throws {
        let lines = Mutex<[String]>([])
        _ = try await WaitProgress.run("quick", quietFor: .milliseconds(300), interval: .milliseconds(50), report: { line in lines.withLock { $0.append(line) } }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(400))
        XCTAssertEqual(lines.withLock { $0 }, [], "a wait shorter than the quiet period shows nothing, before or after it ends")

        _ = try await WaitProgress.run("CloudFront", quietFor: .milliseconds(100), interval: .milliseconds(100), report: { line in lines.withLock { $0.append(line) } }) {
            try await Task.sleep(for: .milliseconds(650))
        }
        let count = lines.withLock { $0.count }
        try await Task.sleep(for: .milliseconds(300))
        let shown = lines.withLock { $0 }
        XCTAssertEqual(shown.count, count, "nothing is reported after the wait ended")
        XCTAssertGreaterThanOrEqual(shown.count, 3, "\(shown)")
        XCTAssertTrue(shown.allSatisfy { $0.hasPrefix("CloudFront: ") && $0.hasSuffix("s") }, "\(shown)")
    }
}
