import Foundation
import LDEdgeApp
import LDEdgeTestSupport
import XCTest

/// README.md's command table and exit codes must match the binary: every command and flag that
/// `ldedge … --help` shows is in the table, every flag the table shows exists, and the exit codes
/// `ldedge --help` lists are exactly `ExitStatus`'s.
final class ReadmeCommandTableTests: XCTestCase {
    /// Flags every command has, documented once rather than per row.
    let everywhere: Set<String> = ["--help", "--version", "--state", "--env"]

    func help(_ arguments: [String]) throws -> String {
        let result = try runProcess(try ldedgeBinary(), arguments + ["--help"], in: packageRoot, environment: ["COLUMNS": "200", "NO_COLOR": "1"])
        XCTAssertEqual(result.status, 0, "ldedge \(arguments.joined(separator: " ")) --help: \(result.stderr)")
        return result.stdout
    }

    /// The entries of a help text's section (`SUBCOMMANDS:`, `OPTIONS:`): for each entry line
    /// (two spaces, then the entry), the part before the description.
    func entries(_ name: String, of text: String) -> [String] {
        guard let start = text.range(of: "\n\(name):\n") else { return [] }
        var entries: [String] = []
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            entries.append(String(line.dropFirst(2)).components(separatedBy: "  ").first ?? "")
        }
        return entries
    }

    func subcommands(of text: String) -> [String] {
        entries("SUBCOMMANDS", of: text).compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0 != "help" }
    }

    /// The long flags a help text's OPTIONS section names.
    func flags(in text: String) -> Set<String> {
        Set(entries("OPTIONS", of: text).flatMap(Self.longFlags))
    }

    static func longFlags(_ text: String) -> [String] {
        let pattern = try? NSRegularExpression(pattern: "--[a-z][a-z0-9-]*")
        let range = NSRange(text.startIndex..., in: text)
        return (pattern?.matches(in: text, range: range) ?? []).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }

    /// Each command's flags, from `--help` (subcommands' flags count for their parent's row).
    func binaryCommands() throws -> [String: Set<String>] {
        var commands: [String: Set<String>] = [:]
        for command in subcommands(of: try help([])) {
            let text = try help([command])
            var all = flags(in: text)
            for sub in subcommands(of: text) {
                all.formUnion(flags(in: try help([command, sub])))
            }
            commands[command] = all.subtracting(everywhere)
        }
        return commands
    }

    /// Each command's flags, from the README's table rows (`| \`ldedge CMD …\` | … |`).
    func readmeCommands() throws -> [String: Set<String>] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var commands: [String: Set<String>] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `ldedge ") {
            let words = line.dropFirst("| `ldedge ".count).split(separator: " ")
            guard let command = words.first.map({ String($0).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }) else { continue }
            commands[command, default: []].formUnion(Self.longFlags(String(line)))
        }
        return commands.mapValues { $0.subtracting(everywhere) }
    }

    func testEveryCommandAndFlagIsInTheReadmeTableAndNothingElse() throws {
        let binary = try binaryCommands()
        let readme = try readmeCommands()
        XCTAssertFalse(binary.isEmpty, "ldedge --help lists subcommands")
        XCTAssertEqual(Set(readme.keys), Set(binary.keys), "commands in README's table vs ldedge --help")
        for (command, flags) in binary.sorted(by: { $0.key < $1.key }) {
            let documented = readme[command] ?? []
            XCTAssertEqual(flags.subtracting(documented).sorted(), [], "flags of 'ldedge \(command)' missing from README's table")
            XCTAssertEqual(documented.subtracting(flags).sorted(), [], "README's table shows flags 'ldedge \(command)' does not have")
        }
    }

    func testHelpAndReadmeExitCodesAreExitStatus() throws {
        let expected = ExitStatus.allCases.map { Int($0.rawValue) }.sorted()
        let text = try help([])
        let codes = try XCTUnwrap(text.range(of: "Exit codes:")).upperBound
        let list = String(text[codes...]).components(separatedBy: "\n\n").first ?? ""
        let helpCodes = Self.codes(in: list.replacingOccurrences(of: "\n", with: " "))
        XCTAssertEqual(helpCodes, expected, "ldedge --help's exit codes")

        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lists = readme.components(separatedBy: "Exit codes:").dropFirst()
        XCTAssertEqual(lists.count, 1, "README has one exit-code list")
        let paragraph = lists.first?.components(separatedBy: "\n\n").first ?? ""
        XCTAssertEqual(Self.codes(in: paragraph.replacingOccurrences(of: "\n", with: " ")), expected, "README's exit codes")
    }

    /// The codes of a `0 success; 1 failure (...); ...` list: parenthesised remarks dropped, the
    /// number that starts each `;`-separated entry.
    static func codes(in text: String) -> [Int] {
        let plain = text.replacingOccurrences(of: "\\([^)]*\\)", with: "", options: .regularExpression)
        return plain.split(separator: ";").compactMap { entry in
            Int(entry.trimmingCharacters(in: .whitespaces).prefix { $0.isNumber })
        }
    }
}
