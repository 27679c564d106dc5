import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MezhvedArchive
import MezhvedCore
import MezhvedDocuments
import MezhvedGateway
import NIOCore
import Synchronization

/// The clerks' and auditors' web pages under `/ui/` (docs/web.md), served by `mezhved serve`:
/// sign-in, the journal, a document, compose, verify any file, the auditor's desk. Every page
/// calls the same gateway workflows as the JSON API; this type only checks who asks, reads forms
/// and fills templates.
public struct WebSite: Sendable {
    /// Where the pages live.
    public static let prefix = "/ui/"
    /// The session cookie and the sign-in form's cookie (double-submitted against login CSRF).
    static let sessionCookie = "mzv_session"
    static let signInCookie = "mzv_signin"
    /// The largest form accepted (compose); a file to verify may be as large as a peer's document.
    static let formLimit = 1 << 20

    let gateway: Gateway
    let archive: ArchiveFolder
    let outbox: Outbox
    let users: WebUserDirectory
    let sessions: WebSessions
    let throttle: SignInThrottle
    let templates: WebTemplates
    let documents: ArchivedDocuments
    let outgoing: OutgoingWorkflow
    let audits: AuditRuns
    let fileLimit: Int

    /// The pages over `gateway`'s open `archive`, its users where `users` says (`exchange.webUsers`:
    /// a file, or the archive's store). Sessions and failed sign-ins are the store's unless given.
    public init(
        gateway: Gateway, archive: ArchiveFolder, outbox: Outbox, users: GatewayConfiguration.CredentialsPlace,
        sessions: WebSessions? = nil, throttle: SignInThrottle? = nil
    ) throws {
        self.gateway = gateway
        self.archive = archive
        self.outbox = outbox
        switch users {
        case .file(let path):
            self.users = WebUserDirectory(path: path)
        case .archive:
            guard let store = archive.storage.credentials else {
                throw GatewayError(
                    .configurationInvalid, "exchange.webUsers: archive, but this archive's store keeps no users (it is a folder)",
                    hint: "give a file path in exchange.webUsers")
            }
            self.users = WebUserDirectory(store: store)
        }
        self.sessions = sessions ?? WebSessions(store: archive.storage.sessions)
        self.throttle = throttle ?? SignInThrottle(failures: archive.storage.signInFailures)
        self.templates = try WebTemplates.load()
        self.documents = ArchivedDocuments(gateway: gateway, registrar: archive.registrar)
        self.outgoing = OutgoingWorkflow(gateway: gateway, registrar: archive.registrar)
        self.audits = AuditRuns()
        self.fileLimit = gateway.configuration.exchange?.maxDocumentSize ?? 64 << 20
    }

    /// The middleware that names the signed-in person for the access log (put it before the log).
    public func sessionMiddleware<Context: WebRequestContext>() -> WebSessionMiddleware<Context> {
        WebSessionMiddleware(site: self)
    }

    /// Registers the pages, `/` leading to them.
    public func register<Context: WebRequestContext>(on router: Router<Context>) {
        router.get("/") { _, _ in Self.redirect(Self.prefix) }
        router.get("ui/") { _, context in Self.redirect(context.signedIn == nil ? "/ui/signin" : "/ui/journal") }
        let css = templates.css
        router.get("ui/web.css") { _, _ in Self.asset(css, type: "text/css; charset=utf-8") }
        let letterCSS = LetterTemplates.css
        router.get("ui/letter.css") { _, _ in Self.asset(letterCSS, type: "text/css; charset=utf-8") }
        router.get("ui/signin") { request, context in await signInForm(request, context: context) }
        router.post("ui/signin") { request, context in try await signIn(request, context: context) }
        post(router, "ui/signout", permission: nil) { _, _, person, _ in
            try await sessions.end(digest: person.sessionDigest)
            var response = Self.redirect("/ui/signin")
            response.setCookie(Self.cookie(Self.sessionCookie, value: "", maxAge: 0))
            return response
        }
        get(router, "ui/journal", permission: .readJournal) { request, context, person in try await journal(request, person: person) }
        get(router, "ui/journal.csv", permission: .readJournal) { request, _, _ in try await journalCSV(request) }
        get(router, "ui/document", permission: .readJournal) { request, context, person in
            try await document(request, context: context, person: person)
        }
        get(router, "ui/compose", permission: .checkDrafts) { request, _, person in try await composeForm(request, person: person) }
        post(router, "ui/compose", permission: .checkDrafts) { _, context, person, form in
            try await compose(form, context: context, person: person)
        }
        get(router, "ui/answer", permission: .checkDrafts) { request, context, person in
            try await answerForm(request, context: context, person: person)
        }
        post(router, "ui/answer", permission: .checkDrafts) { _, context, person, form in
            try await answer(form, context: context, person: person)
        }
        get(router, "ui/verify", permission: .readJournal) { _, _, person in verifyForm(person: person) }
        post(router, "ui/verify", permission: .readJournal, limit: fileLimit + 65_536) { _, _, person, form in
            try await verify(form, person: person)
        }
        get(router, "ui/audit", permission: .audit) { request, _, person in try await auditDesk(request, person: person) }
        post(router, "ui/audit", permission: .audit) { request, context, person, _ in
            try await runAudit(request, context: context, person: person)
        }
    }

    // MARK: - Who asks

    typealias Page<Context> = @Sendable (Request, Context, SignedInPerson) async throws -> Response
    typealias FormPage<Context> = @Sendable (Request, Context, SignedInPerson, WebForm) async throws -> Response

    /// A GET page for signed-in people whose role allows `permission`.
    func get<Context: WebRequestContext>(
        _ router: Router<Context>, _ path: String, permission: AccessPermission?, _ handler: @escaping Page<Context>
    ) {
        router.get(RouterPath(path)) { request, context in
            await guarded(request, context: context, permission: permission) { person in try await handler(request, context, person) }
        }
    }

    /// A POST form for signed-in people whose role allows `permission`; its `_csrf` field must be
    /// the session's token (compared in constant time), else nothing is done.
    func post<Context: WebRequestContext>(
        _ router: Router<Context>, _ path: String, permission: AccessPermission?, limit: Int = WebSite.formLimit,
        _ handler: @escaping FormPage<Context>
    ) {
        router.post(RouterPath(path)) { request, context in
            await guarded(request, context: context, permission: permission) { person in
                let form = try await WebForm.read(request, limit: limit)
                guard let presented = form.value("_csrf"), WebSecrets.same(presented, person.csrfToken) else {
                    context.logger.warning("csrf refused", metadata: ["path": "\(request.uri.path)", "caller": "\(person.name)"])
                    throw WebRefusal(
                        .forbidden, "Форма отклонена: нет действительного кода защиты формы (CSRF). Откройте страницу заново и повторите.")
                }
                return try await handler(request, context, person, form)
            }
        }
    }

    func guarded<Context: WebRequestContext>(
        _ request: Request, context: Context, permission: AccessPermission?, _ body: (SignedInPerson) async throws -> Response
    ) async -> Response {
        guard let person = context.signedIn else { return Self.redirect("/ui/signin") }
        do {
            if let permission, !person.may(permission) {
                throw WebRefusal(
                    .forbidden,
                    "Роль «\(RussianWords.role(person.role))» не даёт доступа к этой странице (нужно право \(permission.rawValue)). Ничего не сделано."
                )
            }
            return try await body(person)
        } catch let refusal as WebRefusal {
            return errorPage(refusal.status, refusal.message, person: person)
        } catch let error as any MezhvedError {
            let status = Self.status(of: error.category)
            if status.code >= 500 {
                context.logger.error("page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            let hint = error.hint.map { " Что сделать: \($0)" } ?? ""
            let more = error.problemList.isEmpty ? "" : " (" + error.problemList.prefix(10).joined(separator: "; ") + ")"
            return errorPage(status, "Не выполнено: \(error.message)\(more).\(hint)", person: person)
        } catch {
            context.logger.error("page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return errorPage(.internalServerError, "Внутренняя ошибка шлюза; подробности — в журнале операторов.", person: person)
        }
    }

    /// The one mapping of the library's failure categories to the pages' statuses.
    static func status(of category: FailureCategory) -> HTTPResponse.Status {
        switch category {
        case .unusableInput, .documentInvalid: return .unprocessableContent
        case .refused: return .conflict
        case .integrityBroken: return .unprocessableContent
        case .serviceUnavailable, .environment: return .serviceUnavailable
        default: return .internalServerError
        }
    }

    // MARK: - Responses

    /// `template` in the layout; `refresh` seconds later the browser asks for the page again (a
    /// running audit's progress), without any script.
    func respond(
        _ template: String, _ model: Any, title: String, person: SignedInPerson?, status: HTTPResponse.Status = .ok, refresh: Int? = nil
    ) -> Response {
        var layout = layout(title: title, person: person)
        layout.refresh = refresh.map(String.init)
        let html = templates.page(template, model, layout: layout)
        return Self.html(html, status: status)
    }

    func errorPage(_ status: HTTPResponse.Status, _ message: String, person: SignedInPerson?) -> Response {
        struct Model { let message: String; let code: String }
        return respond(
            "error", Model(message: message, code: "\(status.code)"), title: "Ошибка \(status.code)", person: person, status: status)
    }

    func layout(title: String, person: SignedInPerson?) -> LayoutModel {
        guard let person else { return LayoutModel(title: title, person: nil, nav: []) }
        var nav: [LayoutModel.NavItem] = []
        let items: [(String, String, AccessPermission)] = [
            ("/ui/journal", "Журнал", .readJournal), ("/ui/compose", "Новый запрос", .checkDrafts),
            ("/ui/verify", "Проверить файл", .readJournal), ("/ui/audit", "Аудит", .audit),
        ]
        for (href, label, permission) in items where person.may(permission) {
            nav.append(LayoutModel.NavItem(href: href, label: label, current: title.hasPrefix(label)))
        }
        return LayoutModel(
            title: title,
            person: LayoutModel.PersonModel(personName: person.name, roleTitle: RussianWords.role(person.role), csrf: person.csrfToken),
            nav: nav)
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Frame-Options")!: "DENY", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer", .cacheControl: "no-store",
    ]

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, HTTPField.Name("X-Content-Type-Options")!: "nosniff", .cacheControl: "max-age=300"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    /// A cookie of the pages: HttpOnly, SameSite=Strict, Secure (a browser treats http://127.0.0.1 as secure), path /ui/.
    static func cookie(_ name: String, value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/ui/", secure: true, httpOnly: true, sameSite: .strict)
    }
}

/// Names the signed-in person from the session cookie; never refuses (the pages do). A session
/// whose user was revoked, or whose role changed, ends here.
public struct WebSessionMiddleware<Context: WebRequestContext>: RouterMiddleware {
    let site: WebSite

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(WebSite.prefix), let id = request.cookies[WebSite.sessionCookie]?.value, !id.isEmpty,
            let person = try await site.sessions.person(id: id)
        else { return try await next(request, context) }
        guard let user = try? await site.users.user(named: person.name), user.role == person.role else {
            try await site.sessions.end(digest: person.sessionDigest)
            return try await next(request, context)
        }
        var context = context
        context.signedIn = person
        return try await next(request, context)
    }
}
