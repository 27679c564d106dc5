import Foundation
import Hummingbird
import NIOCore

/// The API's OpenAPI 3.1 description, served at `GET /api/v1/openapi.yaml` without a token. The
/// copy the docs show is docs/openapi.yaml; the target's resource openapi.yaml is a byte-identical
/// copy of it (a test compares the two and what is served: edit docs/openapi.yaml, then
/// `cp docs/openapi.yaml Sources/MezhvedServer/openapi.yaml`). A symbolic link would keep one copy,
/// but the package manager copies the link itself into the resource bundle, where it dangles.
enum APISpecification {
    /// The spec's bytes from the resource bundle (read when the router is built, not per request).
    static func load() -> [UInt8]? {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let data = try? Data(contentsOf: url) else {
            return nil
        }
        return [UInt8](data)
    }

    static func response(_ bytes: [UInt8]?) throws -> Response {
        guard let bytes else {
            throw Problem(
                .serviceUnavailable, "specification-missing",
                "the API's description (openapi.yaml) is not installed beside mezhved: install the resource bundle mezhved_MezhvedServer.resources"
            )
        }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
