import ArgumentParser
import EdgeFunctionCommands
import Foundation
import Invoke
import LDEdgeApp
import LDEdgeCore

struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Run the packaged edge handler locally with a CloudFront viewer-request event and print its answer.",
        discussion: """
            Unzips the workflow's package (the package-zip step's zip) and runs it the way Lambda would: \
            one runner process loads it once and serves every event, so the LaunchDarkly SDK stays warm. \
            --ips N invokes N random client IPs and prints the old/new split. \
            --event cloudfront-viewer-request prints a sample event and runs nothing.
            """
    )

    @Argument(help: "The workflow file or name (optional when only one has state).")
    var workflow: String?

    @Option(help: "Client IP of the viewer.")
    var ip = "203.0.113.178"

    @Option(help: "Request path.")
    var uri = "/site/index.html"

    @Option(help: "Query string, without '?'.")
    var querystring = ""

    @Option(help: "HTTP method.")
    var method = "GET"

    @Option(name: .customLong("header"), help: "A request header, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Flag(help: "Print the handler's raw response (or the split) as JSON.")
    var json = false

    @Option(help: "Invoke this many random client IPs and print the split between old and new site.")
    var ips: Int?

    @Option(help: "Seed for --ips, to repeat a split.")
    var seed: UInt64?

    @Option(help: "The package-zip step to run, when the workflow has several.")
    var step: String?

    @Option(help: "Run this zip instead of the workflow's package.")
    var zip: String?

    @Option(help: "Runtime of --zip (python3.12, nodejs20.x); detected from the zip when omitted.")
    var runtime: String?

    @Option(help: "Handler of --zip (handler.handler, index.handler); detected when omitted.")
    var handler: String?

    @Option(help: "Print a sample event instead of invoking: cloudfront-viewer-request.")
    var event: String?

    @OptionGroup var state: StateOption

    func run() async throws {
        let invoker = InvokeService()
        var request = ViewerRequest(clientIp: ip, method: method, uri: uri, querystring: querystring)
        for header in headers {
            guard let parsed = ViewerRequest.header(header) else {
                throw ValidationError("--header must look like 'Name: value', found '\(header)'")
            }
            request.headers.append(parsed)
        }
        do {
            if let event {
                print(try invoker.sampleEvent(event, request: request))
                return
            }
            var options = InvokeOptions(stateRoot: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".ldedge"))
            options.workflow = workflow
            options.step = step
            options.zip = zip
            options.runtime = runtime
            options.handler = handler
            options.request = request
            options.json = json
            options.ips = ips
            options.seed = seed
            // A workflow whose edge target is a CloudFront Function (edge-function) runs that instead of a package.
            if zip == nil, let output = try await EdgeFunctionInvoke.command(
                workflow: workflow, step: step, request: request, ips: ips, seed: seed, json: json, workflows: service(state)) {
                print(output)
                return
            }
            if zip == nil {
                options.package = try await invoker.locatePackage(workflow, step: step, workflows: service(state))
            }
            let output = try await invoker.run(options) { message in
                FileHandle.standardError.write(Data("\(message)\n".utf8))
            }
            print(output)
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(Secrets.shared.redact("\(error)"))\n".utf8))
            throw ExitCode(1)
        }
    }
}
