import Foundation
@testable import LDEdgeCore
import XCTest

/// A saved plan is refused when what a step would do changed, not when the text of a line that
/// changes nothing did (a snapshot's age: "taken 4 s ago", then "taken 6 s ago").
final class SavedPlanFingerprintTests: XCTestCase {
    func plan(_ changes: [PlannedChange]) -> WorkflowPlan {
        WorkflowPlan(workflow: "w", file: "w.yaml", git: nil,
                     steps: [StepPlanEntry(id: "build", kind: "k", plan: StepPlan(changes: changes), pending: nil)], findings: [])
    }

    func testDescriptionsOfUnchangedLinesDoNotCountButChangesDo() {
        let aged = SavedPlan.fingerprints(plan([PlannedChange(.none, "flag snapshot", detail: "taken 4 s ago")]))
        let older = SavedPlan.fingerprints(plan([PlannedChange(.none, "flag snapshot", detail: "taken 6 s ago")]))
        XCTAssertEqual(aged, older)

        let other = SavedPlan.fingerprints(plan([PlannedChange(.none, "another resource", detail: "taken 4 s ago")]))
        XCTAssertNotEqual(aged, other, "the resource of an unchanged line still counts")
        let update = SavedPlan.fingerprints(plan([PlannedChange(.update, "flag snapshot", detail: "taken now")]))
        XCTAssertNotEqual(aged, update, "a line that now changes something counts")
        let uploadOne = SavedPlan.fingerprints(plan([PlannedChange(.update, "site", detail: "upload index.html")]))
        let uploadTwo = SavedPlan.fingerprints(plan([PlannedChange(.update, "site", detail: "upload index.html, about.html")]))
        XCTAssertNotEqual(uploadOne, uploadTwo, "the description of a change counts")
    }
}
