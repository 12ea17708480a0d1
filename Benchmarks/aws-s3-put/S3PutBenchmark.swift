// Uploads every file under a directory to an S3 endpoint with bounded concurrency
// and prints the wall time. scripts/bench-s3-put.sh runs it next to
// `aws s3 cp --recursive` against the same emulator.
//
// usage: aws-s3-put-bench --endpoint URL --bucket NAME --dir PATH [--concurrency N]

import AWS
import AsyncHTTPClient
import Foundation

struct Options {
    var endpoint: URL?
    var bucket = "bench"
    var directory = ""
    var concurrency = 10
    var region = "us-east-1"

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { return nil }
            switch flag {
            case "--endpoint": options.endpoint = URL(string: value)
            case "--bucket": options.bucket = value
            case "--dir": options.directory = value
            case "--concurrency": options.concurrency = Int(value) ?? options.concurrency
            case "--region": options.region = value
            default: return nil
            }
        }
        return options.endpoint == nil || options.directory.isEmpty ? nil : options
    }
}

func files(under root: String) throws -> [(key: String, path: String)] {
    let base = URL(fileURLWithPath: root).standardizedFileURL
    guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
    var result: [(String, String)] = []
    for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
        let key = String(url.standardizedFileURL.path.dropFirst(base.path.count + 1))
        result.append((key, url.path))
    }
    return result.sorted { $0.0 < $1.0 }
}

func contentType(_ key: String) -> String {
    switch (key as NSString).pathExtension {
    case "html": return "text/html"
    case "css": return "text/css"
    case "js": return "application/javascript"
    case "json": return "application/json"
    default: return "application/octet-stream"
    }
}

@main
enum Bench {
    static func main() async throws {
        guard let options = Options.parse(CommandLine.arguments), let endpoint = options.endpoint else {
            FileHandle.standardError.write(Data("usage: aws-s3-put-bench --endpoint URL --bucket NAME --dir PATH [--concurrency N]\n".utf8))
            exit(2)
        }
        let environment = ProcessInfo.processInfo.environment
        let credentials = AWSCredentials(accessKeyId: environment["AWS_ACCESS_KEY_ID"] ?? "bench", secretAccessKey: environment["AWS_SECRET_ACCESS_KEY"] ?? "bench")
        var poolConfiguration = HTTPClient.Configuration()
        poolConfiguration.redirectConfiguration = .disallow
        poolConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: poolConfiguration)
        let client = AWSClient(configuration: AWSConfiguration(region: options.region, credentials: credentials, endpointURL: endpoint), httpClient: http)
        let s3 = client.s3

        let entries = try files(under: options.directory)
        // Read the files before timing, as the CLI's own disk reads are small next to the network.
        let bodies = try entries.map { try Data(contentsOf: URL(fileURLWithPath: $0.path)) }
        if try await !s3.bucketExists(options.bucket) { try await s3.createBucket(options.bucket) }

        let start = DispatchTime.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addNext() {
                let index = next
                next += 1
                group.addTask {
                    let key = entries[index].key
                    try await s3.putObject(bucket: options.bucket, key: key, body: bodies[index],
                                           options: S3PutObjectOptions(contentType: contentType(key)))
                }
            }
            for _ in 0..<min(options.concurrency, entries.count) { addNext() }
            while try await group.next() != nil {
                if next < entries.count { addNext() }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let listed = try await s3.listAllObjects(bucket: options.bucket)
        try await http.shutdown()
        print(String(format: "ldedge S3Client: %d objects (%d listed) in %.3f s with concurrency %d (%.0f objects/s)",
                     entries.count, listed.count, seconds, options.concurrency, Double(entries.count) / seconds))
        print(String(format: "SECONDS %.3f", seconds))
    }
}
