@testable import AWS
import Foundation
import XCTest

/// The AWS Signature Version 4 test suite (aws-sig-v4-test-suite, 2015-08-30 vectors)
/// and the S3 examples from the S3 API reference, written out here.
final class SigV4VectorTests: XCTestCase {
    let suiteCredentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    let sessionToken = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    struct Vector {
        var name: String
        var method = "GET"
        var path = "/"
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body = ""
        var signedHeaders = "host;x-amz-date"
        var signature: String
        var token = false
    }

    var vectors: [Vector] {
        [
            Vector(name: "get-vanilla", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
            Vector(name: "get-vanilla-empty-query-key", query: [("Param1", "value1")], signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
            Vector(name: "get-vanilla-query-order-key-case", query: [("Param2", "value2"), ("Param1", "value1")], signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
            Vector(name: "get-vanilla-query-unreserved",
                   query: [("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")],
                   signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
            Vector(name: "get-vanilla-utf8-query", query: [("ሴ", "bar")], signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
            Vector(name: "get-unreserved", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
            Vector(name: "get-utf8", path: "/ሴ", signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
            Vector(name: "get-header-key-duplicate", headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
                   signedHeaders: "host;my-header1;x-amz-date", signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
            Vector(name: "get-header-value-order", headers: [("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2")],
                   signedHeaders: "host;my-header1;x-amz-date", signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
            Vector(name: "get-header-value-trim", headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
                   signedHeaders: "host;my-header1;my-header2;x-amz-date", signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
            Vector(name: "post-vanilla", method: "POST", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
            Vector(name: "post-vanilla-query", method: "POST", query: [("Param1", "value1")], signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
            Vector(name: "post-vanilla-empty-query-value", method: "POST", query: [("Param1", "value1")], signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
            Vector(name: "post-vanilla-query-nonunreserved", method: "POST", query: [("@#$%^", ""), ("+", "/,?><`\";:\\|][{}")],
                   signature: "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"),
            Vector(name: "post-vanilla-query-space", method: "POST", query: [("p", "")], signature: "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"),
            Vector(name: "post-header-key-case", method: "POST", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
            Vector(name: "post-header-key-sort", method: "POST", headers: [("My-Header1", "value1")], signedHeaders: "host;my-header1;x-amz-date",
                   signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
            Vector(name: "post-header-value-case", method: "POST", headers: [("My-Header1", "VALUE1")], signedHeaders: "host;my-header1;x-amz-date",
                   signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
            Vector(name: "post-sts-header-before", method: "POST", signedHeaders: "host;x-amz-date;x-amz-security-token",
                   signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead", token: true),
            Vector(name: "post-x-www-form-urlencoded", method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1",
                   signedHeaders: "content-type;host;x-amz-date", signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
            Vector(name: "post-x-www-form-urlencoded-parameters", method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf8")],
                   body: "Param1=value1", signedHeaders: "content-type;host;x-amz-date", signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
        ]
    }

    func testPublishedSuiteVectors() {
        let signer = SigV4Signer(service: "service", region: "us-east-1")
        for vector in vectors {
            let credentials = vector.token
                ? AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: suiteCredentials.secretAccessKey, sessionToken: sessionToken)
                : suiteCredentials
            let request = SignableRequest(method: vector.method, host: "example.amazonaws.com", encodedPath: vector.path, query: vector.query,
                                          headers: vector.headers + [("Host", "example.amazonaws.com")], body: Data(vector.body.utf8))
            let result = signer.sign(request, credentials: credentials, date: suiteDate)
            let expected = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
            XCTAssertEqual(result.authorization, expected, "vector \(vector.name)\ncanonical request:\n\(result.canonicalRequest)")
        }
    }

    func testGetVanillaIntermediateStages() {
        let signer = SigV4Signer(service: "service", region: "us-east-1")
        let result = signer.sign(SignableRequest(method: "GET", host: "example.amazonaws.com", encodedPath: "/"), credentials: suiteCredentials, date: suiteDate)
        XCTAssertEqual(result.canonicalRequest, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(result.stringToSign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
    }

    /// S3 API reference, "Example: GET Object" (header-based auth, signed empty payload).
    func testS3GetObjectExample() {
        let credentials = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        let signer = SigV4Signer(service: "s3", region: "us-east-1")
        let result = signer.sign(SignableRequest(method: "GET", host: "examplebucket.s3.amazonaws.com", encodedPath: "/test.txt", headers: [("Range", "bytes=0-9")]),
                                 credentials: credentials, date: date)
        XCTAssertEqual(result.signedHeaders, "host;range;x-amz-content-sha256;x-amz-date")
        XCTAssertEqual(result.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// S3 API reference, "Example: presigned URL" (query-string auth, 86400 s).
    func testS3PresignedURLExample() {
        let credentials = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let date = Date(timeIntervalSince1970: 1_369_353_600)
        let signer = SigV4Signer(service: "s3", region: "us-east-1")
        let query = signer.presignedQuery(SignableRequest(method: "GET", host: "examplebucket.s3.amazonaws.com", encodedPath: "/test.txt"),
                                          credentials: credentials, date: date, expires: 86400)
        XCTAssertEqual(query.last?.0, "X-Amz-Signature")
        XCTAssertEqual(query.last?.1, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    func testS3KeysAreSignedAsSentAndOtherPathsTwice() {
        let key = URIEncoding.encodeKey("dir//a b+c~%ü.txt")
        XCTAssertEqual(key, "dir//a%20b%2Bc~%25%C3%BC.txt")
        let s3 = SigV4Signer(service: "s3", region: "us-east-1")
        XCTAssertEqual(s3.canonicalURI("/bucket/" + key), "/bucket/dir//a%20b%2Bc~%25%C3%BC.txt")
        let lambda = SigV4Signer(service: "lambda", region: "us-east-1")
        XCTAssertEqual(lambda.canonicalURI("/2015-03-31/functions/a%3Ab//./x/../y"), "/2015-03-31/functions/a%253Ab/y")
    }

    func testSecretsNeverAppearInDescriptions() {
        let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "SECRET-xyz", sessionToken: "TOKEN-abc")
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials), "\(Mirror(reflecting: credentials).children.map { "\($0)" })"] {
            XCTAssertFalse(text.contains("SECRET-xyz"), text)
            XCTAssertFalse(text.contains("TOKEN-abc"), text)
        }
        XCTAssertTrue(credentials.description.contains("AKIDEXAMPLE"))
    }
}
