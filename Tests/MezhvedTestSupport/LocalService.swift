import Foundation

/// A real server process on loopback (an HTTP file server, `openssl ocsp`, a time-stamping
/// authority), stopped when the value is released.
public final class LocalService: @unchecked Sendable {
    public let process: Process
    public let port: Int
    public let name: String

    /// Starts `executable` with `arguments` and waits until something accepts connections on
    /// `port` (give a port from ``freePort()``). With `probeByConnecting` false it waits until the
    /// port is in the kernel's listening table instead: `openssl ocsp -port` (3.0) spins and stops
    /// answering after a connection that sends nothing.
    public init(
        _ name: String, executable: String, arguments: [String], port: Int, environment: [String: String] = [:],
        currentDirectory: String? = nil, probeByConnecting: Bool = true
    ) throws {
        self.name = name
        self.port = port
        process = Process()
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while !(probeByConnecting ? Self.accepts(port) : Self.listening(port)) {
            guard process.isRunning else {
                throw ServiceFailure(description: "\(name) exited with status \(process.terminationStatus) before listening on \(port)")
            }
            guard Date() < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw ServiceFailure(description: "\(name) did not listen on 127.0.0.1:\(port) within 15 s")
            }
            usleep(20_000)
        }
    }

    /// A Python `http.server` serving `directory` read-only.
    public static func files(_ directory: String, port: Int? = nil) throws -> LocalService {
        let port = try port ?? freePort()
        return try LocalService(
            "HTTP file server", executable: "/usr/bin/env",
            arguments: ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory, String(port)], port: port)
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops the server now (to test an unreachable source). SIGKILL: the test runner's threads
    /// block SIGTERM, and a child inherits that mask, so `terminate()` would never arrive.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// A TCP port on loopback that nothing listens on right now.
    public static func freePort() throws -> Int {
        for _ in 0..<16 {
            let port = try anyFreePort()
            if !reservedPorts.contains(port) { return port }
        }
        throw ServiceFailure(description: "no free loopback port outside the fixed test ports")
    }

    /// The fixed ports the test certificates name (CRL distribution points, OCSP): never handed out.
    public static let reservedPorts: Set<Int> = [8089, 47931, 47932]

    private static func anyFreePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServiceFailure(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ServiceFailure(description: "could not bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a TCP socket listens on `port` (any address), read from `/proc/net/tcp{,6}`
    /// without connecting.
    public static func listening(_ port: Int) -> Bool {
        let hexPort = String(format: "%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // local_address is "ADDRESS:PORT"; state 0A is LISTEN.
                if fields.count > 3, fields[1].hasSuffix(":" + hexPort), fields[3] == "0A" { return true }
            }
        }
        return false
    }

    /// Whether a TCP connection to 127.0.0.1:`port` succeeds.
    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

public struct ServiceFailure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
