import AWS
import Foundation
import LDEdgeCore
import LDEdgeTestSupport
import XCTest

/// A fault at every mutating call of a deploy: the deploy fails, rollback runs, and the emulator's
/// inventory (objects with their bytes, roles, functions and versions, distributions and configs)
/// is exactly what it was before the deploy.
final class AWSStepsFaultInjectionTests: AWSStepsTestCase {
    struct Tally {
        var clean = 0
        var total = 0
        var failures: [String] = []
    }

    /// Runs `prepare` and a deploy once to learn its mutating calls, then once per call with a fault there.
    func sweep(_ name: String, workflow yaml: String, redeploy: Bool = false, prepare: (_ stateRoot: String) async throws -> Void) async throws -> Tally {
        try await emulator.reset()
        try await prepare(".ldedge-baseline")
        try await emulator.clearCalls()
        _ = try await engine(stateRoot: ".ldedge-baseline").deploy(try load(yaml))
        let calls = try await emulator.mutatingCalls()
        XCTAssertFalse(calls.isEmpty)
        var tally = Tally()
        for (index, call) in calls.enumerated() {
            try await emulator.reset()
            try await prepare(".ldedge-\(name)-\(index)")
            let before = try await emulator.inventory().ignoringVolatileFields
            let skip = calls[..<index].filter { $0.service == call.service && $0.operation == call.operation }.count
            try await emulator.injectFault(service: call.service, operation: call.operation, skip: skip)
            let label = "\(name): fault at call \(index + 1)/\(calls.count) (\(call.service) \(call.operation) #\(skip + 1))"
            tally.total += 1
            do {
                _ = try await engine(stateRoot: ".ldedge-\(name)-\(index)").deploy(try load(yaml))
                tally.failures.append("\(label): the deploy succeeded")
                continue
            } catch let error as EngineError {
                guard case .stepFailed(_, let message, let outcomes, true) = error else {
                    tally.failures.append("\(label): \(error)")
                    continue
                }
                if !message.contains("InjectedFault") { tally.failures.append("\(label): failed for another reason: \(message)") }
                if let failed = outcomes.first(where: { $0.error != nil }) {
                    tally.failures.append("\(label): rollback of \(failed.step) failed: \(failed.error ?? "")")
                    continue
                }
            }
            try await emulator.clearFaults()
            let after = try await emulator.inventory().ignoringVolatileFields
            if after != before {
                tally.failures.append("\(label): inventory differs after rollback:\nbefore: \(before)\nafter:  \(after)")
                continue
            }
            let state = try self.state(stateRoot: ".ldedge-\(name)-\(index)")
            if redeploy {
                // The earlier release stays recorded as applied, with its outputs.
                let steps = state.steps.values
                if !steps.allSatisfy({ $0.status == .applied }) || state.steps["edge"]?.outputs["version"] != "1" {
                    tally.failures.append("\(label): state does not show the earlier release: \(steps.map { "\($0.id) \($0.status) \($0.outputs)" })")
                    continue
                }
            } else if !state.isEmpty {
                tally.failures.append("\(label): state still owns \(state.teardownOrder.map { "\($0.id): \($0.resources.map(\.label))" })")
                continue
            }
            tally.clean += 1
        }
        return tally
    }

    func testFaultAtEveryMutatingCallOfAFullDeployRollsBackExactly() async throws {
        try writeSite()
        try writeZip()
        let tally = try await sweep("full", workflow: rolloutWorkflow()) { _ in }
        print("full deploy: \(tally.clean) of \(tally.total) injected faults rolled back cleanly")
        XCTAssertEqual(tally.clean, tally.total, tally.failures.joined(separator: "\n"))
    }

    /// The site goes into an existing bucket: overwritten and deleted objects must come back byte for byte.
    func testFaultAtEveryMutatingCallIntoAnExistingBucketRestoresObjects() async throws {
        try writeSite()
        try writeZip()
        let client = emulator.client()
        let yaml = rolloutWorkflow(bucket: "existing-site", extraSite: "\n      delete: true\n      prefix: www")
        let tally = try await sweep("existing", workflow: yaml) { _ in
            try await client.s3.createBucket("existing-site")
            try await client.s3.putObject(bucket: "existing-site", key: "www/index.html", body: Data("<h1>hand-made</h1>".utf8),
                                          options: S3PutObjectOptions(contentType: "text/html", cacheControl: "no-cache"))
            try await client.s3.putObject(bucket: "existing-site", key: "www/stale.html", body: Data("stale".utf8),
                                          options: S3PutObjectOptions(contentType: "text/html"))
            try await client.s3.putObject(bucket: "existing-site", key: "logs/keep.txt", body: Data("outside the prefix".utf8))
            try await client.s3.putBucketPolicy(bucket: "existing-site", policy: """
                {"Version":"2012-10-17","Statement":[{"Sid":"Existing","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::existing-site"}]}
                """)
        }
        print("existing bucket: \(tally.clean) of \(tally.total) injected faults rolled back cleanly")
        XCTAssertEqual(tally.clean, tally.total, tally.failures.joined(separator: "\n"))
    }

    /// A redeploy with a changed page and changed code: the old bytes, code and association come back.
    func testFaultAtEveryMutatingCallOfARedeployRestoresThePreviousRelease() async throws {
        let yaml = rolloutWorkflow()
        let tally = try await sweep("redeploy", workflow: yaml, redeploy: true) { stateRoot in
            try writeSite()
            try writeZip()
            _ = try await engine(stateRoot: stateRoot).deploy(try load(yaml))
            try directory.write("site/beta/index.html", "<h1>new site v2</h1>")
            try writeZip(body: "return request  # v2")
        }
        print("redeploy: \(tally.clean) of \(tally.total) injected faults rolled back cleanly")
        XCTAssertEqual(tally.total, 4, "PutObject, UpdateFunctionCode, PublishVersion, UpdateDistribution")
        XCTAssertEqual(tally.clean, tally.total, tally.failures.joined(separator: "\n"))
    }
}
