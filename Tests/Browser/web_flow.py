#!/usr/bin/env python3
"""The web pages in a real browser (Chromium through chromedriver, python3-selenium).

Run by Tests/MezhvedServerTests/WebBrowserTests.swift against two `mezhved serve` processes on
127.0.0.1: sign in, compose a request with a validation error and then correctly, sign, send it to
the second gateway, see its receipt arrive, open the document page, answer the request at the
second gateway (mistakes first, shown in Russian), see the answer arrive, drop a tampered file on the
verifier and see TOTAL-FAILED, and check that an auditor cannot reach compose. Every wait is
bounded. With --screenshots DIR it also saves each page at 1280x800 and 390 px wide.

Exit 0 when every step held; otherwise the step that failed is printed and the exit is 1.
"""
import argparse
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20


def step(text):
    print(f"web_flow: {text}", flush=True)


class Flow:
    def __init__(self, args):
        self.args = args
        options = webdriver.ChromeOptions()
        options.binary_location = args.chromium
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
                     "--lang=ru-RU", "--hide-scrollbars"]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(args.chromedriver), options=options)
        self.driver.set_page_load_timeout(60)
        self.driver.set_script_timeout(30)
        self.wait = WebDriverWait(self.driver, WAIT)

    def open(self, path, base=None):
        self.driver.get((base or self.args.sender) + path)

    def shoot(self, name, target=None):
        """Saves the page at 1280x800 and 390x844 (the viewport exactly, through the DevTools
        protocol), scrolled to `target` (a CSS selector) when given."""
        if not self.args.screenshots:
            return
        os.makedirs(self.args.screenshots, exist_ok=True)
        driver = self.driver
        for label, width, height in [("1280", 1280, 800), ("390", 390, 844)]:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
            time.sleep(0.3)
            if target:
                driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'start'}); window.scrollBy(0, -12);", target)
            else:
                driver.execute_script("window.scrollTo(0, 0);")
            time.sleep(0.2)
            driver.save_screenshot(os.path.join(self.args.screenshots, f"{name}-{label}.png"))
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def sign_in(self, name, base=None):
        self.open("/ui/signin", base)
        self.wait.until(EC.presence_of_element_located((By.NAME, "name")))
        self.driver.find_element(By.NAME, "name").send_keys(name)
        self.driver.find_element(By.NAME, "password").send_keys(self.args.password)
        self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        self.wait.until(EC.url_contains("/ui/journal"))
        cookie = self.driver.get_cookie("mzv_session")
        assert cookie is not None, "no session cookie after sign-in"
        assert cookie.get("httpOnly") and cookie.get("secure") and cookie.get("sameSite") == "Strict", f"cookie flags {cookie}"
        step(f"signed in as {name}; the session cookie is HttpOnly, Secure, SameSite=Strict")

    def sign_out(self):
        self.driver.find_element(By.CSS_SELECTOR, "form.who button").click()
        self.wait.until(EC.url_contains("/ui/signin"))

    def fill(self, name, value):
        element = self.driver.find_element(By.NAME, name)
        if element.get_attribute("type") == "date":
            # A date input takes the browser's locale order; set it as the form will send it.
            self.driver.execute_script("arguments[0].value = arguments[1];", element, value)
        else:
            element.clear()
            element.send_keys(value)

    def select(self, name, value):
        from selenium.webdriver.support.ui import Select
        Select(self.driver.find_element(By.NAME, name)).select_by_value(value)

    def run(self):
        args = self.args
        self.open("/ui/signin")
        self.wait.until(EC.presence_of_element_located((By.NAME, "password")))
        self.shoot("signin")
        self.sign_in("signatory-desk")

        # Compose: the regulation first, then a form with one field missing.
        self.open("/ui/compose?regulation=562-2014")
        self.wait.until(EC.presence_of_element_located((By.NAME, "recipient")))
        options = [o.get_attribute("value") for o in self.driver.find_elements(By.CSS_SELECTOR, "select[name=recipient] option")]
        assert "employment" in options, f"recipients {options}"
        self.select("recipient", "employment")
        self.select("legalBasis[0].clause", "2.2.7 пп. 3")
        for name, value in [
            ("service.name", "Предоставление социальных услуг в форме социального обслуживания на дому"),
            ("subject", "О предоставлении сведений о регистрации гражданина в качестве безработного"),
            ("requestedDocument", "Сведения о нахождении гражданина на регистрационном учете в органах службы занятости."),
            ("informationNeeded", "Сведения необходимы для признания гражданина нуждающимся в социальном обслуживании."),
            ("consent.document", "Согласие в заявлении от 27.02.2026 № 1452"), ("consent.date", "2026-02-27"),
            ("compiler.fullName", "Сергеева Ольга Викторовна"), ("compiler.position", "Ведущий специалист"),
            ("compiler.phone", "+7 (812) 000-01-23"),
            ("personalData[0].lastName", "Васильев"), ("personalData[0].firstName", "Андрей"),
            ("personalData[0].middleName", "Николаевич"), ("personalData[0].birthDate", "1975-06-14"),
            ("personalData[0].snils", "145-236-987 76"),
        ]:
            self.fill(name, value)
        for name in ["consent.required", "consent.obtained"]:
            box = self.driver.find_element(By.NAME, name)
            if not box.is_selected():
                box.click()
        self.driver.find_element(By.CSS_SELECTOR, "button[value=sign]").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".field-error")))
        invalid = self.driver.find_element(By.CSS_SELECTOR, "[aria-invalid=true]").get_attribute("name")
        assert invalid == "compiler.email", f"the field marked invalid is {invalid}"
        assert "/ui/document?" not in self.driver.current_url, "an invalid draft was registered"
        step(f"the draft without an e-mail is refused, the error next to {invalid}")
        self.shoot("compose-errors", "[aria-invalid=true]")

        self.fill("compiler.email", "o.sergeeva@social-protection.mezhved-test.invalid")
        self.driver.find_element(By.CSS_SELECTOR, "button[value=check]").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".letter .sheet")))
        body = self.text()
        assert "Срок ответа" in body and "рабочих дней" in body, "no deadline shown"
        step("the corrected draft is previewed on letterhead with its deadline")
        self.shoot("compose-preview", ".content > h2")
        if self.args.key_passphrase:
            # The key is unlocked per signing: a wrong passphrase signs nothing, the error at its field.
            self.fill("passphrase", "не-тот-пароль")
            self.driver.find_element(By.CSS_SELECTOR, "button[value=sign]").click()
            self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "input[name=passphrase][aria-invalid=true]")))
            assert "пароль не подходит к ключу подписи" in self.text(), "no error at the passphrase field"
            assert "/ui/document?" not in self.driver.current_url, "signed with a wrong passphrase"
            assert self.driver.find_element(By.NAME, "passphrase").get_attribute("value") == "", "the passphrase was filled back in"
            step("a wrong key passphrase is refused at its field, nothing signed")
            self.shoot("compose-passphrase", "fieldset:has(#passphrase)")
            self.fill("passphrase", self.args.key_passphrase)
        self.driver.find_element(By.CSS_SELECTOR, "button[value=sign]").click()
        self.wait.until(EC.url_contains("/ui/document?"))
        heading = self.driver.find_element(By.TAG_NAME, "h1").text
        assert heading.startswith("Запрос № "), f"heading {heading}"
        number = heading[len("Запрос № "):].split(" (")[0]
        assert number == self.driver.find_element(By.CSS_SELECTOR, ".letter .regline .field + .field").text, "the letter's number"
        step(f"signed and registered at once: {heading}")

        # The receipt from the second gateway.
        document_url = self.driver.current_url
        deadline = time.monotonic() + 60
        while "Квитанция №" not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError("no receipt within 60 s: " + self.text()[:2000])
            time.sleep(1)
            self.driver.get(document_url)
        body = self.text()
        assert "доставлен (квитанция)" in body, body[:1500]
        assert "Сертификат действителен на момент подписания" in body and "✓" in body, "no art. 11 conditions"
        step("the receipt arrived; the document page shows it, the letter and the art. 11 conditions")
        self.shoot("document")
        self.shoot("document-letter", ".letter")
        self.driver.find_element(By.PARTIAL_LINK_TEXT, "Квитанция №").click()
        self.wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Квитанция"))
        step("the receipt's own page opens from the link")

        self.open("/ui/journal?direction=outgoing")
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.journal")))
        assert number in self.text(), f"{number} not in the journal"
        self.shoot("journal")

        # The verifier: a tampered copy of a signed sample.
        self.open("/ui/verify")
        self.wait.until(EC.presence_of_element_located((By.NAME, "file")))
        self.driver.find_element(By.NAME, "file").send_keys(args.tampered)
        self.driver.find_element(By.CSS_SELECTOR, "form.upload button").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".report .indication")))
        code = self.driver.find_element(By.CSS_SELECTOR, ".report .code strong").text
        assert code == "TOTAL-FAILED", f"the tampered file gave {code}"
        step("the tampered file is TOTAL-FAILED")
        self.shoot("verify")
        self.sign_out()

        self.answer(number, document_url)

        # The auditor: no compose, the desk with the audit and the charts.
        self.sign_in("auditor-desk")
        assert "Новый запрос" not in self.driver.find_element(By.CSS_SELECTOR, "header.bar").text
        self.open("/ui/compose")
        self.wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Ошибка 403"))
        assert "name=\"recipient\"" not in self.driver.page_source
        step("the auditor gets the 403 page on compose")
        self.shoot("forbidden")
        self.open("/ui/audit")
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.run-audit button")))
        self.driver.find_element(By.CSS_SELECTOR, "form.run-audit button").click()
        WebDriverWait(self.driver, 120).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".panel .indication")))
        assert self.driver.find_elements(By.CSS_SELECTOR, ".chart svg rect"), "no chart"
        step("the audit ran: " + self.driver.find_element(By.CSS_SELECTOR, ".panel .indication").text)
        self.shoot("audit")
        self.shoot("audit-charts", ".charts")
        self.driver.get(document_url)
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".letter")))
        assert "145-236-987 76" not in self.text(), "the auditor saw personal data"
        step("the auditor sees the document without personal data")
        self.shoot("document-auditor", ".letter")


    def answer(self, request_number, request_url):
        """At the second gateway: open the incoming request, answer it with mistakes (Russian
        messages at their fields), then correctly; sign; see the answer arrive back at the sender."""
        receiver = self.args.receiver
        self.sign_in("answer-desk", receiver)
        self.open("/ui/journal?direction=incoming", receiver)
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.journal")))
        self.driver.find_element(By.CSS_SELECTOR, "table.journal a[href*='/ui/document?']").click()
        self.wait.until(EC.presence_of_element_located((By.LINK_TEXT, "Ответить на запрос")))
        assert request_number in self.text(), f"the incoming entry does not name {request_number}"
        self.driver.find_element(By.LINK_TEXT, "Ответить на запрос").click()
        self.wait.until(EC.presence_of_element_located((By.NAME, "compiler.fullName")))
        assert "Срок ответа" in self.text(), "the answer form does not show the deadline"
        self.fill("provided[0].name", "Сведения о регистрации гражданина в качестве безработного")
        self.fill("provided[0].content", "Васильев Андрей Николаевич зарегистрирован в целях поиска подходящей работы 12.11.2025.")
        self.fill("compiler.fullName", "Лапина Ирина Геннадьевна")
        self.fill("compiler.phone", "звонить Ирине")
        self.driver.find_element(By.CSS_SELECTOR, "input[name=person][value='0']").click()
        self.driver.find_element(By.CSS_SELECTOR, "button[value=sign]").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".field-error")))
        body = self.text()
        for expected in ["выберите: предоставить документы (сведения) или мотивированно отказать",
                         "«звонить Ирине» — не номер телефона", "заполните это поле"]:
            assert expected in body, f"no message «{expected}» on the answer form"
        assert "is required" not in body and "is not" not in body, "an English message reached the clerk"
        invalid = [e.get_attribute("name") for e in self.driver.find_elements(By.CSS_SELECTOR, "[aria-invalid=true]")]
        assert invalid == ["compiler.position", "compiler.phone"], f"the fields marked invalid are {invalid}"
        assert "/ui/document?" not in self.driver.current_url, "an invalid answer was registered"
        step(f"the answer with mistakes is refused, in Russian at {', '.join(invalid)} and at the result")
        self.shoot("answer-errors", ".problem")
        self.shoot("answer-errors-fields", "fieldset:has([aria-invalid=true])")

        self.driver.find_element(By.CSS_SELECTOR, "input[name=result][value=provided]").click()
        self.fill("compiler.position", "Ведущий специалист")
        self.fill("compiler.phone", "+7 (812) 000-03-17")
        self.driver.find_element(By.CSS_SELECTOR, "button[value=check]").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".letter .sheet")))
        assert "Васильев" in self.driver.find_element(By.CSS_SELECTOR, ".letter").text, "the request's person is not in the answer"
        step("the corrected answer is previewed on letterhead, with the request's person")
        self.shoot("answer-preview", ".content > h2")
        self.driver.find_element(By.CSS_SELECTOR, "button[value=sign]").click()
        self.wait.until(EC.url_contains("/ui/document?"))
        heading = self.driver.find_element(By.TAG_NAME, "h1").text
        assert heading.startswith("Ответ № "), f"heading {heading}"
        answer_url = self.driver.current_url
        deadline = time.monotonic() + 60
        while "Квитанция №" not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError("no receipt for the answer within 60 s: " + self.text()[:2000])
            time.sleep(1)
            self.driver.get(answer_url)
        step(f"signed and sent: {heading}; the sender's receipt came back")
        self.shoot("answer-document")
        self.sign_out()
        self.sign_in("signatory-desk")
        self.driver.get(request_url)
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".facts")))
        assert "Ответ: №" in self.text() and "ответ получен" in self.text(), "the sender's request does not show its answer: " + self.text()[:1500]
        step("the sender's request page links the answer and shows the request answered")
        self.sign_out()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sender", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--tampered", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    parser.add_argument("--screenshots")
    parser.add_argument("--key-passphrase", help="the signatory's key passphrase (a key unlocked per signing)")
    parser.add_argument("--receiver", required=True, help="the second gateway's address (it answers the request)")
    args = parser.parse_args()
    flow = None
    try:
        flow = Flow(args)
        flow.run()
    except (AssertionError, TimeoutException, WebDriverException) as error:
        where = flow.driver.current_url if flow else "(no browser)"
        print(f"web_flow: FAILED at {where}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        if flow:
            print(flow.text()[:3000] if flow.driver else "", file=sys.stderr)
        return 1
    finally:
        if flow:
            flow.driver.quit()
    step("every step held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
