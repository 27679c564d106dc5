import MezhvedDocuments

extension GatewayConfiguration.DocumentSettings {
    /// The agency directory, regulations and production calendar these settings name (the bundled
    /// ones where they name none), the directory checked for consistency: the one place that loads
    /// them for the command line, the gateway and the server.
    public func loadContext() throws -> DocumentContext {
        guard let fallback = ProductionCalendar.Fallback(rawValue: calendarFallback) else {
            throw GatewayError(.configurationInvalid, "the calendar fallback \(calendarFallback) is not none or labour-code")
        }
        let directory =
            try self.directory.map { try AgencyDirectory.load(agencies: $0, regulations: regulations) } ?? AgencyDirectory.bundled()
        if let path = self.directory {
            let problems = directory.consistencyProblems()
            if !problems.isEmpty {
                throw DocumentError(
                    .malformedData, "the agency directory \(path) is inconsistent: \(problems.count) problem(s)",
                    hint: "correct the entries named below", problems: problems)
            }
        }
        let calendar = try ProductionCalendar.bundled(adding: self.calendar)
        return DocumentContext(directory: directory, calendar: calendar, fallback: fallback)
    }
}
