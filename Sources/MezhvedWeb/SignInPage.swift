import Foundation
import Hummingbird
import MezhvedGateway

/// `/ui/signin`: a login and a password checked against the users' file (PBKDF2, off the
/// cooperative pool). The form carries a random value also set as a cookie (login CSRF: a page of
/// another site cannot read or set it); success starts a new session (a new id, whatever cookie
/// the browser brought) and forgets the login's failures; ``SignInThrottle`` locks a login after
/// repeated failures. The log names the login (a desk's name), never the password.
extension WebSite {
    struct SignInModel {
        let token: String
        let name: String
        let error: String?
        let notice: String?
    }

    func signInForm<Context: WebRequestContext>(_ request: Request, context: Context) async -> Response {
        return signInPage(name: "", error: nil, status: .ok)
    }

    func signInPage(name: String, error: String?, status: HTTPResponse.Status) -> Response {
        let token = WebSecrets.random()
        var response = respond(
            "signin", SignInModel(token: token, name: name, error: error, notice: nil), title: "Вход", person: nil, status: status)
        response.setCookie(Self.cookie(Self.signInCookie, value: token, maxAge: 3600))
        return response
    }

    func signIn<Context: WebRequestContext>(_ request: Request, context: Context) async throws -> Response {
        let form: WebForm
        do {
            form = try await WebForm.read(request, limit: 16_384)
        } catch let refusal as WebRefusal {
            return signInPage(name: "", error: refusal.message, status: refusal.status)
        }
        guard let presented = form.value("_signin"), let expected = request.cookies[Self.signInCookie]?.value,
            WebSecrets.isWellFormed(expected), WebSecrets.same(presented, expected)
        else {
            context.logger.warning("sign-in refused: no form token", metadata: [:])
            return signInPage(
                name: "", error: "Форма входа устарела или пришла не с этой страницы. Введите данные ещё раз.", status: .forbidden)
        }
        let name = String((form.text("name") ?? "").prefix(64))
        let password = form.value("password") ?? ""
        guard !name.isEmpty, !password.isEmpty else {
            return signInPage(name: name, error: "Введите имя пользователя и пароль.", status: .unprocessableContent)
        }
        if let wait = try await throttle.lockedFor(name) {
            let minutes = max(1, Int((Double(wait.components.seconds) / 60).rounded(.up)))
            context.logger.warning("sign-in refused: locked", metadata: ["login": "\(Self.loggable(name))"])
            return signInPage(
                name: name,
                error:
                    "Учётная запись временно заблокирована: \(throttle.limit) неудачных попыток входа подряд. Повторите через \(minutes) мин. или обратитесь к администратору.",
                status: .tooManyRequests)
        }
        guard let user = try await users.authenticate(name: name, password: password) else {
            try await throttle.fail(name)
            context.logger.notice("sign-in failed", metadata: ["login": "\(Self.loggable(name))"])
            return signInPage(name: name, error: "Неверное имя пользователя или пароль.", status: .unauthorized)
        }
        try await throttle.succeed(name)
        if let old = request.cookies[Self.sessionCookie]?.value, let previous = try await sessions.person(id: old) {
            try await sessions.end(digest: previous.sessionDigest)
        }
        let started = try await sessions.start(name: user.name, role: user.role)
        context.logger.notice("signed in", metadata: ["caller": "\(user.name) (\(user.role))"])
        var response = Self.redirect("/ui/journal")
        response.setCookie(Self.cookie(Self.sessionCookie, value: started.id))
        response.setCookie(Self.cookie(Self.signInCookie, value: "", maxAge: 0))
        return response
    }

    /// A login as the log may show it: the shape of a login (the token names' alphabet), else a mark.
    static func loggable(_ name: String) -> String {
        (try? AccessTokenFile.checkName(name)) != nil ? name : "(not a login name)"
    }
}
