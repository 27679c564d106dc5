import ArgumentParser
import Foundation
import MezhvedXMLDSig

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measures signing and verifying throughput (see docs/benchmarks.md).")

    func run() throws {
        throw ValidationError("not available yet")
    }
}
