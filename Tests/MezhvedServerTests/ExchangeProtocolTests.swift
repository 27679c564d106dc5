import Testing

@testable import MezhvedServer

@Suite struct ExchangeProtocolTests {
    @Test func versionIsInEveryPath() {
        #expect(ExchangeProtocol.version == "v1")
    }
}
