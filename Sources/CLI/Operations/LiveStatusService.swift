import Foundation
import LDEdgeApp
import LDEdgeCore

/// `ldedge status WORKFLOW --live`: the recorded workflow checked against the world, as a table or JSON.
public struct LiveStatusService: Sendable {
    let workflows: WorkflowService

    public init(workflows: WorkflowService) {
        self.workflows = workflows
    }

    public func run(_ argument: String?, step: String? = nil, json: Bool) async -> ExitStatus {
        let console = workflows.console
        return await workflows.run {
            let (name, _, location) = try await workflows.resolveState(argument)
            let state = try await location.store(for: name).load()
            let status = try await LiveStatusReader(environment: workflows.environment, registry: workflows.registry).read(state, step: step)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                console.out(String(decoding: try encoder.encode(status), as: UTF8.self))
            } else {
                console.out(Self.render(status))
            }
            return .success
        }
    }

    /// The readable table: one section per part, each metric's newest value as measured.
    public static func render(_ status: LiveStatus) -> String {
        var lines = ["workflow '\(status.workflow)' (live)"]
        func row(_ label: String, _ value: String) { lines.append("  " + label.padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
        if let distribution = status.distribution {
            if let error = distribution.error {
                row("distribution", "\(distribution.id): \(error)")
            } else {
                row("distribution", "\(distribution.id) \(distribution.status ?? "?") \(distribution.domainName ?? "")")
            }
        } else {
            row("distribution", "none recorded")
        }
        if let function = status.function {
            var text = "\(function.name): "
            text += function.associatedVersion.map { "version \($0) associated" } ?? "no version associated"
            if let recorded = function.recordedVersion, recorded != function.associatedVersion { text += " (ldedge recorded version \(recorded))" }
            row("function", text)
            row("versions", function.error ?? (function.versions.isEmpty ? "none published" : function.versions.joined(separator: ", ")))
        } else {
            row("function", "none recorded")
        }
        for flag in status.flags {
            row("flag", "\(flag.key) in \(flag.project)/\(flag.environment): \(flag.current ?? flag.error ?? "unknown")")
            if flag.drift {
                row("", "DRIFT: changed outside ldedge; ldedge set '\(flag.setByLdedge ?? "nothing")'")
            } else if flag.error == nil {
                row("", "no drift from what ldedge set")
            }
        }
        lines.append("  metrics (last \(status.metricsWindow / 60) min, newest value per 1-minute period):")
        if let error = status.metricsError {
            lines.append("    \(error)")
        }
        let formatter = ISO8601DateFormatter()
        for metric in status.metrics {
            let at = metric.timestamp.map { " at \(formatter.string(from: $0))" } ?? ""
            lines.append("    " + metric.name.padding(toLength: 14, withPad: " ", startingAt: 0) + metric.formatted + at
                         + "  (\(metric.namespace) \(metric.stat))")
        }
        return lines.joined(separator: "\n")
    }
}
