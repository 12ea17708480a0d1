import Crypto
import Foundation

extension S3Client {
    /// CreateMultipartUpload, UploadPart for each 8 MiB slice, CompleteMultipartUpload;
    /// aborts the upload when any part fails so no orphaned parts are billed.
    func multipartUpload(bucket: String, key: String, body: Data, options: S3PutObjectOptions) async throws -> S3PutObjectResult {
        let create = try await client.send(request("CreateMultipartUpload", bucket: bucket, key: key, method: .POST,
                                                   query: [("uploads", "")], headers: objectHeaders(options), mutating: true))
        let uploadId = try parseXML(create, "CreateMultipartUpload").requiredText("UploadId", service: .s3, operation: "CreateMultipartUpload")
        do {
            var parts: [(Int, String)] = []
            var offset = 0
            var number = 1
            while offset < body.count {
                let end = min(offset + Self.partSize, body.count)
                let slice = Data(body[body.startIndex + offset ..< body.startIndex + end])
                var headers: [(String, String)] = []
                if options.contentMD5 { headers.append(("Content-MD5", Data(Insecure.MD5.hash(data: slice)).base64EncodedString())) }
                let response = try await client.send(request("UploadPart", bucket: bucket, key: key, method: .PUT,
                                                             query: [("partNumber", String(number)), ("uploadId", uploadId)],
                                                             headers: headers, body: slice, mutating: true))
                guard let eTag = response.header("ETag") else {
                    throw AWSError.decoding(service: .s3, operation: "UploadPart", field: "ETag", detail: "part \(number) answer has no ETag header")
                }
                parts.append((number, eTag))
                offset = end
                number += 1
            }
            let document = XMLTreeNode(name: "CompleteMultipartUpload", attributes: [.init(name: "xmlns", value: Self.namespace)], children: parts.map { number, eTag in
                .element(XMLTreeNode(name: "Part", children: [
                    .element(XMLTreeNode(name: "ETag", text: eTag)),
                    .element(XMLTreeNode(name: "PartNumber", text: String(number))),
                ]))
            })
            let response = try await client.send(request("CompleteMultipartUpload", bucket: bucket, key: key, method: .POST,
                                                         query: [("uploadId", uploadId)], headers: [("Content-Type", "application/xml")],
                                                         body: document.xmlData(), mutating: true))
            let root = try parseXML(response, "CompleteMultipartUpload")
            if root.name == "Error" {
                throw AWSError.service(AWSServiceError(service: .s3, operation: "CompleteMultipartUpload", resource: "s3://\(bucket)/\(key)", status: response.status,
                                                       code: root.optionalText("Code") ?? "InternalError", message: root.optionalText("Message") ?? "", requestId: response.requestId))
            }
            return S3PutObjectResult(eTag: root.optionalText("ETag"), versionId: response.header("x-amz-version-id"))
        } catch {
            _ = try? await client.send(request("AbortMultipartUpload", bucket: bucket, key: key, method: .DELETE, query: [("uploadId", uploadId)], mutating: true))
            throw error
        }
    }
}
