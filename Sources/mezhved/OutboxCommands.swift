import ArgumentParser
import Foundation
import MezhvedArchive
import MezhvedCore
import MezhvedGateway

extension MessageState: ExpressibleByArgument {}

/// `mezhved send`: queues a registered outgoing document for its recipient.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Queues a registered outgoing request or answer for its recipient (see docs/gateway.md, the outbox).",
        discussion: """
            The document registered under NUMBER goes into the gateway's outbox as a message to the agency it is \
            addressed to, under a new message id; the gateway's server (`mezhved serve`) delivers it and takes the \
            receipt. A document already queued keeps its message (the same id is printed). Receipts are never queued: \
            they travel in the response to the message they acknowledge.
            """)

    @OptionGroup var gateway: GatewayOption

    @Argument(help: "The registration number of the outgoing document.")
    var number: String

    @Option(help: "The year of the number, when numbers repeat across years.")
    var year: Int?

    @Option(help: "The message's end of life, ISO 8601 (2026-12-17T12:00:00Z); default 14 days from now.")
    var expires: String?

    func validate() throws {
        if let expires, ISOTime.date(expires) == nil {
            throw ValidationError("--expires \(expires) is not an ISO 8601 time with a zone (2026-12-17T12:00:00Z)")
        }
    }

    func run() async throws {
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let outbox = opened.outbox(registrar: archive.registrar)
        print(try await queueLine(outbox, number: number, year: year, expires: expires.flatMap(ISOTime.date)))
        await archive.registrar.finishBackgroundWork()
    }
}

/// Queues `number` and says what became of it.
func queueLine(_ outbox: Outbox, number: String, year: Int?, expires: Date?) async throws -> String {
    let before = try await outbox.list(MessageQuery(number: number, year: year)).first
    let status = try await outbox.enqueue(number: number, year: year, expires: expires)
    if let before, before.messageID == status.messageID {
        return "ALREADY QUEUED \(status.number) to \(status.peer) as message \(status.messageID) (\(status.state.words))"
    }
    return
        "QUEUED \(status.number) to \(status.peer) as message \(status.messageID), until \(status.expires.map { ISOTime.string($0) } ?? "?")"
        + "\n  queued: the gateway's server (`mezhved serve`) delivers it"
}

/// `mezhved outbox …`: the messages the gateway sends.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "The gateway's outgoing messages and their states (see docs/gateway.md).",
        subcommands: [OutboxList.self, OutboxResend.self])
}

struct OutboxList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Lists the outgoing messages: document, recipient, state, attempts, next attempt, last error.")

    @OptionGroup var gateway: GatewayOption

    @Option(
        help: "Only messages in this state (\(MessageState.allCases.filter { $0 != .sending }.map(\.rawValue).joined(separator: ", "))).")
    var state: MessageState?

    @Option(help: "Only messages to this agency (directory id).")
    var peer: String?

    @Flag(help: "Print JSON (an array of message statuses) instead of a table.")
    var json = false

    func run() async throws {
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let messages = try await opened.outbox(registrar: archive.registrar).list(MessageQuery(state: state, peer: peer))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(messages) + Data("\n".utf8))
            return
        }
        if messages.isEmpty {
            print("no messages\(state.map { " \($0.rawValue)" } ?? "")\(peer.map { " to \($0)" } ?? "")")
            return
        }
        print(Self.table(messages))
    }

    /// The table a clerk reads: one line per message, the last error under it.
    static func table(_ messages: [MessageStatus]) -> String {
        let header = ["NUMBER", "RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "MESSAGE ID"]
        let rows = messages.map { message in
            [
                message.number, message.peer, message.state.words, String(message.attempts),
                message.state.isPending ? message.nextAttempt.map { ISOTime.agencyDateTime($0) } ?? "now" : "—", message.messageID,
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        var lines = [line(header)]
        for (message, row) in zip(messages, rows) {
            lines.append(line(row))
            if let error = message.lastError { lines.append("    last error: \(DocumentText.cut(error))") }
        }
        return lines.joined(separator: "\n")
    }
}

struct OutboxResend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resend", abstract: "Queues a failed or expired message again, under the same message id.")

    @OptionGroup var gateway: GatewayOption

    @Argument(help: "The message id (see `mezhved outbox list`).")
    var messageID: String

    @Option(help: "The new end of life, ISO 8601; default 14 days from now.")
    var expires: String?

    func validate() throws {
        if let expires, ISOTime.date(expires) == nil {
            throw ValidationError("--expires \(expires) is not an ISO 8601 time with a zone (2026-12-17T12:00:00Z)")
        }
    }

    func run() async throws {
        let opened = try gateway.open()
        let archive = try await opened.openArchiveForCommand()
        let status = try await opened.outbox(registrar: archive.registrar).resend(
            messageID, expires: expires.flatMap(ISOTime.date))
        print(
            "QUEUED AGAIN \(status.number) to \(status.peer) as message \(status.messageID), until \(status.expires.map { ISOTime.string($0) } ?? "?")"
        )
        await archive.registrar.finishBackgroundWork()
    }
}
