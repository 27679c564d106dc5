/// The joint events of 562 cl. 3.1 (and the joint events of early help, 459-р cl. 4.1).
public enum JointEventKind: String, Sendable, Codable, CaseIterable {
    /// A joint visit of a multidisciplinary patronage team.
    case jointVisit = "joint-visit"
    /// Drawing up an individual programme of social services (or of early help).
    case individualProgramme = "individual-programme"
    /// A meeting of a collegial advisory body with representatives of the executive bodies.
    case collegialMeeting = "collegial-meeting"

    /// The name in the reports (Russian, as the regulation words it).
    public var title: String {
        switch self {
        case .jointVisit: return "Совместные выезды мультидисциплинарных патронажных бригад"
        case .individualProgramme: return "Составление индивидуальных программ"
        case .collegialMeeting: return "Заседания коллегиальных совещательных органов"
        }
    }
}

/// The help counted by 562 cl. 6.2 (help not among the social services), and early help (459-р cl. 4.1).
public enum HelpKind: String, Sendable, Codable, CaseIterable {
    case rehabilitation, medical, psychological, pedagogical, legal, social
    /// Early help to a child of the target group and the family (459-р).
    case earlyHelp = "early-help"

    /// The name in the reports.
    public var title: String {
        switch self {
        case .rehabilitation: return "Реабилитационная помощь"
        case .medical: return "Медицинская помощь"
        case .psychological: return "Психологическая помощь"
        case .pedagogical: return "Педагогическая помощь"
        case .legal: return "Юридическая помощь"
        case .social: return "Социальная помощь"
        case .earlyHelp: return "Услуги ранней помощи"
        }
    }
}
