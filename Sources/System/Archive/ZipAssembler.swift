import Foundation

/// Frames members into the zip format: local headers, data, central directory, end record.
struct ZipAssembler {
    let output: ZipOutput
    private(set) var offset = 0
    private var central: [UInt8] = []
    private var count = 0
    /// DOS time 00:00:00 and date 1980-01-01: the zip epoch, the same everywhere.
    static let dosTime: UInt16 = 0
    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    init(output: ZipOutput) {
        self.output = output
    }

    mutating func add(path: String, executable: Bool, member: CompressedEntry) throws {
        let name = Array(path.utf8)
        guard offset <= 0xFFFF_FFFE, name.count <= 0xFFFF else { throw ArchiveError.tooLarge(detail: "more than 4 GiB of compressed data") }
        let flags: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800
        let versionNeeded: UInt16 = member.method == 0 ? 10 : 20
        var header: [UInt8] = []
        header.reserveCapacity(30 + name.count)
        header.appendLE32(0x0403_4B50)
        header.appendLE16(versionNeeded)
        header.appendLE16(flags)
        header.appendLE16(member.method)
        header.appendLE16(Self.dosTime)
        header.appendLE16(Self.dosDate)
        header.appendLE32(member.crc32)
        header.appendLE32(UInt32(member.data.count))
        header.appendLE32(UInt32(member.uncompressedSize))
        header.appendLE16(UInt16(name.count))
        header.appendLE16(0)
        header.append(contentsOf: name)

        let mode: UInt32 = executable ? 0o100755 : 0o100644
        central.appendLE32(0x0201_4B50)
        central.appendLE16(3 << 8 | 20)  // made by: Unix, zip 2.0
        central.appendLE16(versionNeeded)
        central.appendLE16(flags)
        central.appendLE16(member.method)
        central.appendLE16(Self.dosTime)
        central.appendLE16(Self.dosDate)
        central.appendLE32(member.crc32)
        central.appendLE32(UInt32(member.data.count))
        central.appendLE32(UInt32(member.uncompressedSize))
        central.appendLE16(UInt16(name.count))
        central.appendLE16(0)  // extra
        central.appendLE16(0)  // comment
        central.appendLE16(0)  // disk
        central.appendLE16(0)  // internal attributes
        central.appendLE32(mode << 16)
        central.appendLE32(UInt32(offset))
        central.append(contentsOf: name)

        try header.withUnsafeBytes { try output.write($0) }
        try member.data.withUnsafeBytes { try output.write($0) }
        offset += header.count + member.data.count
        count += 1
    }

    mutating func finish() throws {
        guard offset <= 0xFFFF_FFFE else { throw ArchiveError.tooLarge(detail: "more than 4 GiB of compressed data") }
        var end: [UInt8] = []
        end.appendLE32(0x0605_4B50)
        end.appendLE16(0)
        end.appendLE16(0)
        end.appendLE16(UInt16(count))
        end.appendLE16(UInt16(count))
        end.appendLE32(UInt32(central.count))
        end.appendLE32(UInt32(offset))
        end.appendLE16(0)
        try central.withUnsafeBytes { try output.write($0) }
        try end.withUnsafeBytes { try output.write($0) }
        offset += central.count + end.count
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func appendLE32(_ value: UInt32) {
        append(UInt8(value & 0xFF))
        append(UInt8((value >> 8) & 0xFF))
        append(UInt8((value >> 16) & 0xFF))
        append(UInt8(value >> 24))
    }
}
