import AWS
import Foundation
import LDEdgeCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One workflow's state in S3, written only with conditional requests:
///
/// - `lock.json` is created with `If-None-Match: *` (412: another run holds it) and deleted with
///   `If-Match` on the ETag this run got, so a run never removes someone else's lock;
/// - `journal/00000017.json` (the record's sequence number) is created with `If-None-Match: *`,
///   so two writers can never both write record 17;
/// - `state.json` is replaced with `If-Match` on the ETag last read or written (compare-and-swap).
///
/// Every object is encrypted at rest (`AES256`, or `aws:kms` with `stateKmsKey`) and redacted.
public final class S3StateStore: StateBackend, Sendable {
    public let workflow: String
    let site: S3StateLocation

    private struct Contents {
        var pending: [(seq: Int, body: Data)] = []
        var stateETag: String?
        /// The snapshot bytes last read or written: an identical snapshot is not uploaded again.
        var stateBody: Data?
        var lockETag: String?
        var recordsWritten = 0
        /// The last flush; each flush waits for the previous one so records land in order.
        var flushing: Task<Void, Error>?
    }
    private let contents = Mutex(Contents())

    /// Test hook shared with the local store: SIGKILL right after the N-th journal record written.
    private let crashAfterRecord = ProcessInfo.processInfo.environment["LDEDGE_CRASH_AFTER_RECORD"].flatMap(Int.init)

    init(location: S3StateLocation, workflow: String) {
        self.site = location
        self.workflow = workflow
    }

    var base: String { site.base(workflow) }
    var stateKey: String { base + "/state.json" }
    var lockKey: String { base + "/lock.json" }
    var journalPrefix: String { base + "/journal/" }
    var copiesPrefix: String { base + "/copies/" }
    func copyKey(_ copy: RecoveryCopy) -> String { copiesPrefix + copy.step + "/" + copy.name }
    func journalKey(_ seq: Int) -> String { journalPrefix + String(format: "%08d.json", seq) }
    var s3: S3Client { site.s3 }

    public var location: String { "s3://\(site.bucket)/\(base)" }
    public var workDirectory: URL { site.localRoot.appendingPathComponent(workflow).appendingPathComponent("work") }

    func options(create: Bool = false, ifMatch: String? = nil) -> S3PutObjectOptions {
        var options = S3PutObjectOptions(contentType: "application/json", ifNoneMatchAny: create)
        options.ifMatch = ifMatch
        options.serverSideEncryption = site.encryption
        return options
    }

    // MARK: Lock

    public func lock(runID: String) async throws {
        try await site.preflight()
        let body = try JSONEncoder.pretty.encode(LockHolder.current(runID: runID))
        var conflicts = 0
        while true {
            do {
                let result = try await s3.putObject(bucket: site.bucket, key: lockKey, body: body, options: options(create: true))
                contents.withLock { $0.lockETag = result.eTag }
                return
            } catch let error as AWSError where error.serviceError?.status == 412 {
                // Someone holds it: say who. A lock released in between is simply taken again.
                if let holder = try await site.readLock(workflow)?.holder { throw StateError.lockHeld(workflow: workflow, holder: holder) }
                conflicts += 1
                if conflicts > 8 { throw site.explain(error, key: lockKey) }
            } catch let error as AWSError where error.code == "ConditionalRequestConflict" || error.serviceError?.status == 409 {
                // A concurrent conditional write to the same key is in flight; S3 asks to retry.
                conflicts += 1
                if conflicts > 8 { throw site.explain(error, key: lockKey) }
                try await Task.sleep(nanoseconds: UInt64(Double.random(in: 0.05...0.2) * Double(conflicts) * 1e9))
            } catch {
                throw site.explain(error, key: lockKey)
            }
        }
    }

    public func unlock() async {
        guard let eTag = contents.withLock({ $0.lockETag }) else { return }
        do {
            try await s3.deleteObject(bucket: site.bucket, key: lockKey, ifMatch: eTag)
            contents.withLock { $0.lockETag = nil }
        } catch let error as AWSError where error.serviceError?.status == 412 {
            site.warn("the lock on '\(workflow)' is no longer this run's (it was force-unlocked and taken by another run); left it in place")
        } catch let error as AWSError where error.isNotFound {
            contents.withLock { $0.lockETag = nil }
        } catch {
            site.warn("could not release the lock \(location)/lock.json: \(error); once no run is active: ldedge state unlock \(workflow) --force RUN")
        }
    }

    // MARK: Reading

    public func hasState() async throws -> Bool {
        try await site.preflight()
        do {
            if try await s3.objectMetadataIfPresent(bucket: site.bucket, key: stateKey) != nil { return true }
            return try await !s3.listObjectsV2Page(bucket: site.bucket, prefix: journalPrefix, maxKeys: 1).objects.isEmpty
        } catch {
            throw site.explain(error, key: stateKey)
        }
    }

    public func load() async throws -> WorkflowState {
        try await site.preflight()
        var state = WorkflowState(workflow: workflow)
        do {
            let (body, metadata) = try await s3.getObject(bucket: site.bucket, key: stateKey)
            do {
                state = try JSONDecoder.iso8601.decode(WorkflowState.self, from: body)
            } catch {
                throw StateError.corrupt(path: "s3://\(site.bucket)/\(stateKey)", line: 1, reason: "\(error)")
            }
            contents.withLock {
                $0.stateETag = metadata.eTag
                $0.stateBody = body
            }
        } catch let error as AWSError where error.isNotFound {
            contents.withLock {
                $0.stateETag = nil
                $0.stateBody = nil
            }
        } catch let error as StateError {
            throw error
        } catch {
            throw site.explain(error, key: stateKey)
        }
        for record in try await records(after: state.seq) where record.seq > state.seq {
            state.apply(record)
        }
        return state
    }

    public func readJournal() async throws -> [JournalRecord] {
        try await records(after: 0)
    }

    /// Journal records with a sequence number above `seq`, oldest first (one LIST, then GETs).
    func records(after seq: Int) async throws -> [JournalRecord] {
        let keys: [String]
        do {
            keys = try await s3.listAllObjects(bucket: site.bucket, prefix: journalPrefix, startAfter: seq > 0 ? journalKey(seq) : nil).map(\.key)
        } catch {
            throw site.explain(error, key: journalPrefix)
        }
        let site = self.site
        let records = try await withThrowingTaskGroup(of: JournalRecord.self) { group in
            for key in keys {
                group.addTask {
                    let body: Data
                    do {
                        body = try await site.s3.getObject(bucket: site.bucket, key: key).body
                    } catch {
                        throw site.explain(error, key: key)
                    }
                    do {
                        return try JSONDecoder.iso8601.decode(JournalRecord.self, from: body)
                    } catch {
                        throw StateError.corrupt(path: "s3://\(site.bucket)/\(key)", line: 1, reason: "\(error)")
                    }
                }
            }
            var all: [JournalRecord] = []
            for try await record in group { all.append(record) }
            return all
        }
        return records.sorted { $0.seq < $1.seq }
    }

    // MARK: Writing

    public func append(_ record: JournalRecord) throws {
        let body = Secrets.shared.redact(try JSONEncoder.canonical.encode(record))
        contents.withLock { $0.pending.append((record.seq, body)) }
    }

    public func flush() async throws {
        let task: Task<Void, Error> = contents.withLock { contents in
            let previous = contents.flushing
            let next = Task { [self] in
                try await previous?.value
                try await drain()
            }
            contents.flushing = next
            return next
        }
        try await task.value
    }

    /// Uploads queued records in order, each created only if record N does not exist yet.
    private func drain() async throws {
        while let next = contents.withLock({ $0.pending.first }) {
            do {
                _ = try await s3.putObject(bucket: site.bucket, key: journalKey(next.seq), body: next.body, options: options(create: true))
            } catch let error as AWSError where error.serviceError?.status == 412 {
                throw StateError.conflict(
                    location: location,
                    reason: "journal record \(next.seq) was already written by another run: the lock was broken while this run held it. Stop the other run, then run 'ldedge deploy' again; it recovers from the journal")
            } catch {
                throw site.explain(error, key: journalKey(next.seq))
            }
            let written: Int = contents.withLock { contents in
                contents.pending.removeFirst()
                contents.recordsWritten += 1
                return contents.recordsWritten
            }
            if let crashAfterRecord, written == crashAfterRecord { kill(getpid(), SIGKILL) }
        }
    }

    public func save(_ state: WorkflowState) async throws {
        let body = Secrets.shared.redact(try JSONEncoder.pretty.encode(state))
        let (eTag, unchanged) = contents.withLock { ($0.stateETag, $0.stateBody == body) }
        // Checkpoints after steps that changed nothing would upload the same bytes again.
        if unchanged && eTag != nil { return }
        do {
            let result = try await s3.putObject(
                bucket: site.bucket, key: stateKey, body: body, options: options(create: eTag == nil, ifMatch: eTag))
            contents.withLock {
                $0.stateETag = result.eTag
                $0.stateBody = body
            }
        } catch let error as AWSError where error.serviceError?.status == 412 {
            throw StateError.conflict(
                location: location,
                reason: "state.json changed since this run read it: another run wrote it (was the lock force-removed?). Nothing more was written; run the command again")
        } catch {
            throw site.explain(error, key: stateKey)
        }
    }

    public func replace(records: [JournalRecord], state: WorkflowState) async throws {
        do {
            let existing = try await s3.listAllObjects(bucket: site.bucket, prefix: journalPrefix, startAfter: nil).map(\.key)
            if !existing.isEmpty {
                let result = try await s3.deleteObjects(bucket: site.bucket, keys: existing)
                if let failure = result.failures.first {
                    throw StateError.remote(location: location, reason: "could not remove the old journal record \(failure.key): \(failure.code) \(failure.message)")
                }
            }
        } catch let error as StateError {
            throw error
        } catch {
            throw site.explain(error, key: journalPrefix)
        }
        for record in records { try append(record) }
        try await flush()
        try await save(state)
    }

    // MARK: Recovery copies (`copies/STEP/NAME`, encrypted like the journal)

    public func keepCopy(_ copy: RecoveryCopy, data: Data) async throws {
        var options = options(create: true)
        options.contentType = "application/octet-stream"
        do {
            _ = try await s3.putObject(bucket: site.bucket, key: copyKey(copy), body: data, options: options)
        } catch let error as AWSError where error.serviceError?.status == 412 {
            // Kept already: names are content digests, so the object holds these very bytes.
        } catch {
            throw site.explain(error, key: copyKey(copy))
        }
    }

    public func readCopy(_ copy: RecoveryCopy) async throws -> Data? {
        do {
            return try await s3.getObject(bucket: site.bucket, key: copyKey(copy)).body
        } catch let error as AWSError where error.isNotFound {
            return nil
        } catch {
            throw site.explain(error, key: copyKey(copy))
        }
    }

    public func listCopies() async throws -> [RecoveryCopy] {
        let keys: [String]
        do {
            keys = try await s3.listAllObjects(bucket: site.bucket, prefix: copiesPrefix).map(\.key)
        } catch {
            throw site.explain(error, key: copiesPrefix)
        }
        return keys.compactMap { key in
            let parts = key.dropFirst(copiesPrefix.count).split(separator: "/", maxSplits: 1).map(String.init)
            return parts.count == 2 ? RecoveryCopy(step: parts[0], name: parts[1]) : nil
        }
    }

    public func deleteCopies(_ copies: [RecoveryCopy]) async throws {
        guard !copies.isEmpty else { return }
        do {
            let result = try await s3.deleteObjects(bucket: site.bucket, keys: copies.map(copyKey))
            if let failure = result.failures.first {
                throw StateError.remote(location: location, reason: "could not remove the recovery copy \(failure.key): \(failure.code) \(failure.message)")
            }
        } catch let error as StateError {
            throw error
        } catch {
            throw site.explain(error, key: copiesPrefix)
        }
    }
}
