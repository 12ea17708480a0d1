import AWS
import AWSStepSupport
import Foundation
import LDEdgeKit

extension AttachTriggerStep {
    /// Drift: the function's `$LATEST` code hash and configuration against the numbered version
    /// the last run published (what CloudFront runs). An out-of-band `update-function-code` or
    /// `update-function-configuration` shows here; the next deploy publishes the declared code again.
    public func drift(_ context: StepContext) async throws -> [DriftItem] {
        guard let previous = context.previous, previous.status == .applied,
              let functionArn = previous.outputs["functionArn"], !functionArn.isEmpty,
              let version = previous.outputs["version"], !version.isEmpty
        else { return [] }
        let lambda = try context.awsClient(region: "us-east-1").lambda
        let published = try await lambda.getFunctionConfiguration(name: functionArn, qualifier: version)
        let latest: LambdaFunctionConfiguration
        do {
            latest = try await lambda.getFunctionConfiguration(name: functionArn)
        } catch let error as AWSError where error.isNotFound {
            return [DriftItem(resource: "function \(published.functionName)", field: "existence", recorded: "exists", actual: "deleted")]
        }
        var items: [DriftItem] = []
        func compare(_ field: String, _ recorded: String?, _ actual: String?) {
            if (recorded ?? "") != (actual ?? "") {
                items.append(DriftItem(resource: "function \(published.functionName)", field: field, recorded: recorded, actual: actual))
            }
        }
        compare("CodeSha256", published.codeSha256, latest.codeSha256)
        compare("MemorySize", published.memorySize.map(String.init), latest.memorySize.map(String.init))
        compare("Timeout", published.timeout.map(String.init), latest.timeout.map(String.init))
        compare("Handler", published.handler, latest.handler)
        compare("Runtime", published.runtime, latest.runtime)
        compare("Role", published.role, latest.role)
        return items
    }
}
