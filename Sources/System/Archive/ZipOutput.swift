import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `ZipWriter` puts the bytes of a zip, in order.
public protocol ZipOutput: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// Keeps the zip in memory (plan uses this to know size and digest without writing anything).
public final class MemoryZipOutput: ZipOutput {
    public private(set) var data = Data()

    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        data.append(bytes.bindMemory(to: UInt8.self))
    }
}

/// Writes the zip to a file through a 1 MiB buffer; `finish` flushes, fsyncs and closes.
public final class FileZipOutput: ZipOutput {
    public let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    /// Sees every byte written, in order (to hash the zip while it is written).
    private let observer: ((UnsafeRawBufferPointer) -> Void)?

    public init(path: String, observer: ((UnsafeRawBufferPointer) -> Void)? = nil) throws {
        self.path = path
        self.observer = observer
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw ArchiveError.writeFailed(path: path, reason: posixReason()) }
        buffer.reserveCapacity(capacity)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        observer?(bytes)
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
        }
    }

    public func finish() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw ArchiveError.writeFailed(path: path, reason: posixReason()) }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw ArchiveError.writeFailed(path: path, reason: posixReason())
            }
            offset += written
        }
    }
}

/// write(2) itself: inside `FileZipOutput` the bare name is its own `write(_:)`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, buffer, count)
    #else
    Darwin.write(descriptor, buffer, count)
    #endif
}
