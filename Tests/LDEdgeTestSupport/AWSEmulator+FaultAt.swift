import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension AWSEmulator {
    /// Fails the call that is the `skip + 1`-th match of service/operation from now on, once, with a
    /// non-retryable error: a fault at exactly one mutating call of a deploy.
    public func injectFault(service: String, operation: String, skip: Int, status: Int = 400, code: String = "InjectedFault",
                            message: String = "injected by test") async throws {
        let spec: [String: Any] = ["service": service, "operation": operation, "skip": skip, "count": 1,
                                   "status": status, "code": code, "message": message]
        var request = URLRequest(url: endpoint.appendingPathComponent("ldedge-emulator/faults"))
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: spec)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw Failure(description: "emulator refused the fault: \(String(decoding: data, as: UTF8.self))")
        }
    }
}
