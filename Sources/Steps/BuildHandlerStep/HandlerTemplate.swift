import Foundation
import Mustache

/// A handler template folder: files copied as they are, `*.mustache` files rendered with the
/// handler's settings (the suffix dropped), and a dependency manifest.
struct HandlerTemplate {
    let directory: URL

    /// Finds a template: an explicit folder (relative to the workflow), `LDEDGE_TEMPLATES`, or the
    /// project's `templates/` found by walking up from the workflow folder, the current folder and
    /// the `ldedge` executable.
    static func locate(name: String, explicit: String?, context: TemplateSearch) throws -> HandlerTemplate {
        if let explicit {
            let url = context.resolve(explicit)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent(".").path) else {
                throw BuildHandlerError.templateNotFound(searched: [url.path], name: explicit)
            }
            return HandlerTemplate(directory: url)
        }
        var searched: [String] = []
        if let root = context.environment["LDEDGE_TEMPLATES"] {
            let url = URL(fileURLWithPath: root).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return HandlerTemplate(directory: url) }
            searched.append(url.path)
        }
        for start in context.starts {
            var folder = start.standardizedFileURL
            while true {
                let candidate = folder.appendingPathComponent("templates").appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(".").path) { return HandlerTemplate(directory: candidate) }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
            searched.append("\(start.path) and its parents")
        }
        throw BuildHandlerError.templateNotFound(searched: searched, name: name)
    }

    /// The rendered files, by relative path, sorted; nothing is written.
    func render(_ values: [String: String]) throws -> [(path: String, data: Data)] {
        var files: [(String, Data)] = []
        for relative in try listFiles() {
            let url = directory.appendingPathComponent(relative)
            let data = try Data(contentsOf: url)
            if relative.hasSuffix(".mustache") {
                let text = String(decoding: data, as: UTF8.self)
                let template: MustacheTemplate
                do {
                    template = try MustacheTemplate(string: text)
                } catch {
                    throw BuildHandlerError.badTemplate(path: url.path, reason: "\(error)")
                }
                files.append((String(relative.dropLast(".mustache".count)), Data(template.render(values).utf8)))
            } else {
                files.append((relative, data))
            }
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// The content of a dependency manifest in the template, if it has one.
    func manifest(_ name: String) -> Data? {
        FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
    }

    private func listFiles() throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw BuildHandlerError.templateNotFound(searched: [directory.path], name: directory.lastPathComponent)
        }
        let base = directory.standardizedFileURL.path + "/"
        var result: [String] = []
        for case let url as URL in enumerator {
            let path = url.standardizedFileURL.path
            let name = url.lastPathComponent
            if name == "node_modules" || name == "__pycache__" || name == ".git" {
                enumerator.skipDescendants()
                continue
            }
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true, path.hasPrefix(base) else { continue }
            result.append(String(path.dropFirst(base.count)))
        }
        return result
    }
}

/// Where templates are looked for.
struct TemplateSearch {
    var workflowDirectory: URL
    var environment: [String: String]

    var starts: [URL] {
        var starts = [workflowDirectory, URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        if executable.path.hasPrefix("/") { starts.append(executable.deletingLastPathComponent()) }
        return starts
    }

    func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : workflowDirectory.appendingPathComponent(path).standardizedFileURL
    }
}
