#!/usr/bin/env python3
"""Recomputes a mezhved evaluation report from the raw journal, without mezhved code.

    recompute_report.py REPORT.json EVENTS.log CALENDAR.json [REPORT.csv]

Reads the archive's log/events.log (one JSON line per event, docs/archive.md), checks its hash
chain up to the report's journal range (lastSeq and its hash), replays it with the rules written in
docs/reports.md and compares every figure of the JSON report (and, when given, of its CSV export).
Prints each difference and exits 1 when there is one. Standard library only.
"""
import csv
import datetime
import hashlib
import io
import json
import math
import sys

MARKER = b',"hash":"'


def read_log(path, last_seq, last_hash):
    events = []
    prev = "0" * 64
    with open(path, "rb") as log:
        for raw in log:
            line = raw.rstrip(b"\n")
            cut = line.rindex(MARKER)
            digest = hashlib.sha256(line[:cut]).hexdigest()
            event = json.loads(line)
            assert event["hash"] == digest, f"line {event['seq']}: its hash does not match"
            assert event["prev"] == prev, f"line {event['seq']}: chain broken"
            assert event["seq"] == len(events) + 1, f"line {event['seq']}: out of order"
            prev = digest
            events.append(event)
            if event["seq"] == last_seq:
                assert digest == last_hash, "the report's journal head is not this log's"
                return events
    raise SystemExit(f"the log ends before the report's last entry {last_seq}")


def moscow_day(time):
    moment = datetime.datetime.strptime(time[:19], "%Y-%m-%dT%H:%M:%S")
    return (moment + datetime.timedelta(hours=3)).date().isoformat()


def working_days(calendar_path):
    years = json.load(open(calendar_path, encoding="utf-8"))["years"]

    def is_working(day):
        data = years[str(day.year)]
        iso = day.isoformat()
        if iso in data.get("workingDays", {}):
            return True
        if iso in data.get("nonWorkingDays", {}):
            return False
        return day.weekday() < 5

    return is_working


def figures():
    timeliness = lambda: {"due": 0, "onTime": 0, "late": 0, "open": 0, "pending": 0}
    return {
        "requestsSent": 0, "requestsReceived": 0, "answersSent": 0, "answersReceived": 0, "receiptsReceived": 0,
        "documentsReceived": 0, "refused": 0, "jointEvents": 0, "helpRecords": 0, "peopleHelped": 0,
        "answersToOurRequests": timeliness(), "ourAnswers": timeliness(),
    }


def children_figures(facts, start, end):
    """The record of target-group children: a stay runs from an inclusion to its transfer or exclusion."""
    out = {"inRecord": 0, "included": 0, "transferredIn": 0, "transferredOut": 0, "excluded": 0}
    stays, open_since = [], {}
    for p in facts:
        person, day, kind = p["people"][0], p["recordDate"], p["recordKind"]
        inside = start <= day <= end
        if kind == "included":
            if person in open_since:
                stays.append((person, open_since[person], max(open_since[person], day)))
            open_since[person] = day
            out["included"] += inside
            out["transferredIn"] += inside and "counterpart" in p
        elif kind in ("transferred", "excluded"):
            if person in open_since:
                stays.append((person, open_since.pop(person), day))
            out["transferredOut" if kind == "transferred" else "excluded"] += inside
    stays += [(person, since, "9999-12-31") for person, since in open_since.items()]
    out["inRecord"] = len({person for person, since, until in stays if since <= end and until >= start})
    return out


def rate(t):
    judged = t["onTime"] + t["late"] + t["open"]
    return None if judged == 0 else math.floor(t["onTime"] / judged * 10000 + 0.5) / 10000


def recompute(report, events, is_working):
    period, as_of = report["period"], report["asOf"]
    start, end = period["from"], period["to"]
    inside = lambda day: start <= day <= end

    entries = {}
    quarantined, facts, child_facts = [], [], []
    for event in events:
        kind, p = event["type"], event["payload"]
        if kind in ("reserved", "registered"):
            entry = entries.setdefault((p["year"], p["number"]), {"direction": p["direction"]})
            if kind == "registered":
                entry.update(p)
                entry["registeredDay"] = moscow_day(event["time"])
        elif kind == "deadlineRecomputed":
            entries[(p["year"], p["number"])]["deadline"] = p["deadline"]
        elif kind == "quarantined":
            quarantined.append((moscow_day(event["time"]), p.get("counterpart")))
        elif kind in ("jointEvent", "helpProvided"):
            facts.append((kind, p))
        elif kind == "childRecorded":
            child_facts.append(p)
    registered = [e for e in entries.values() if "registeredDay" in e]

    totals, lines = figures(), {}

    def add(counterpart, key, sub=None):
        for target in (totals, lines.setdefault(counterpart, figures()) if counterpart else None):
            if target is None:
                continue
            if sub:
                target[key][sub] += 1
            else:
                target[key] += 1

    months = {}
    first_month = 1 if period.get("quarter") is None else (period.get("quarter") - 1) * 3 + 1
    last_month = 12 if period.get("quarter") is None else first_month + 2
    for month in range(first_month, last_month + 1):
        months["%04d-%02d" % (period["year"], month)] = {"documentsReceived": 0, "requestsSent": 0, "jointEvents": 0, "helpRecords": 0}

    names = {("outgoing", "request"): ["requestsSent"], ("outgoing", "answer"): ["answersSent"],
             ("incoming", "request"): ["requestsReceived", "documentsReceived"],
             ("incoming", "answer"): ["answersReceived", "documentsReceived"], ("incoming", "receipt"): ["receiptsReceived"]}
    for e in registered:
        if not inside(e["registeredDay"]):
            continue
        for name in names.get((e["direction"], e["kind"]), []):
            add(e.get("counterpart"), name)
        month = months.get(e["registeredDay"][:7])
        if month is not None and e["kind"] in ("request", "answer") and e["direction"] == "incoming":
            month["documentsReceived"] += 1
        if month is not None and e["kind"] == "request" and e["direction"] == "outgoing":
            month["requestsSent"] += 1
    for day, counterpart in quarantined:
        if inside(day):
            add(counterpart, "refused")

    def count_working(after, through):
        a, b = datetime.date.fromisoformat(after), datetime.date.fromisoformat(through)
        n = 0
        while a < b:
            a += datetime.timedelta(days=1)
            n += is_working(a)
        return n

    answers = [e for e in registered if e["kind"] == "answer"]
    overdue = []
    for r in registered:
        if r["kind"] != "request" or "deadline" not in r or not inside(r["deadline"]):
            continue
        outgoing = r["direction"] == "outgoing"
        own = r["number"] if outgoing else r.get("documentNumber")
        days = [a["documentDate"] for a in answers
                if a.get("counterpart") == r.get("counterpart") and a.get("inReplyTo") == own
                and a["direction"] != r["direction"] and a["documentDate"] <= as_of]
        answered = min(days) if days else None
        deadline, missed = r["deadline"], None
        if answered is not None:
            verdict = "onTime" if answered <= deadline else "late"
            missed = answered if verdict == "late" else None
        elif deadline < as_of:
            verdict, missed = "open", as_of
        else:
            verdict = "pending"
        key = "answersToOurRequests" if outgoing else "ourAnswers"
        add(r.get("counterpart"), key, "due")
        add(r.get("counterpart"), key, verdict)
        if missed:
            calendar_days = (datetime.date.fromisoformat(missed) - datetime.date.fromisoformat(deadline)).days
            overdue.append({"number": r["number"], "year": r["year"], "direction": r["direction"],
                            "counterpart": r.get("counterpart", ""), "documentNumber": r.get("documentNumber"),
                            "deadline": deadline, "answeredOn": answered, "daysOverdue": calendar_days,
                            "workingDaysOverdue": count_working(deadline, missed)})

    people, by_agency = set(), {}
    joint_kinds, help_kinds = {}, {}
    key_ids = set()
    for kind, p in facts:
        if not inside(p["recordDate"]):
            continue
        key_ids.add(p["personKeyID"])
        people.update(p["people"])
        for agency in p["agencies"]:
            by_agency.setdefault(agency, set()).update(p["people"])
        name = "jointEvents" if kind == "jointEvent" else "helpRecords"
        totals[name] += 1
        for agency in p["agencies"]:
            lines.setdefault(agency, figures())[name] += 1
        month = months.get(p["recordDate"][:7])
        if month is not None:
            month[name] += 1
        table = joint_kinds if kind == "jointEvent" else help_kinds
        count, who = table.get(p["recordKind"], (0, set()))
        table[p["recordKind"]] = (count + 1, who | set(p["people"]))
    totals["peopleHelped"] = len(people)
    for agency, who in by_agency.items():
        lines[agency]["peopleHelped"] = len(who)
    for f in [totals] + list(lines.values()):
        for key in ("answersToOurRequests", "ourAnswers"):
            f[key]["onTimeRate"] = rate(f[key])
    overdue.sort(key=lambda o: (o["deadline"], o["direction"], o["number"]))
    return {"children": children_figures(child_facts, start, end), "totals": totals, "lines": lines, "months": months, "overdue": overdue, "joint": joint_kinds,
            "help": help_kinds, "keys": sorted(key_ids)}


class Comparison:
    def __init__(self):
        self.count, self.differences = 0, []

    def same(self, what, ours, theirs):
        self.count += 1
        if isinstance(ours, float) or isinstance(theirs, float):
            equal = ours is not None and theirs is not None and abs(ours - theirs) < 1e-9
        else:
            equal = ours == theirs
        if not equal:
            self.differences.append(f"{what}: recomputed {ours!r}, report {theirs!r}")

    def figures(self, where, ours, theirs):
        for key, value in ours.items():
            if isinstance(value, dict):
                for sub, number in value.items():
                    self.same(f"{where}.{key}.{sub}", number, theirs[key].get(sub))
            else:
                self.same(f"{where}.{key}", value, theirs[key])


def flatten(f):
    rate_text = lambda r: "" if r is None else "%.4f" % r
    out = [f[k] for k in ("requestsSent", "requestsReceived", "answersSent", "answersReceived", "receiptsReceived",
                          "documentsReceived", "refused", "jointEvents", "helpRecords", "peopleHelped")]
    for key in ("answersToOurRequests", "ourAnswers"):
        t = f[key]
        out += [t["due"], t["onTime"], t["late"], t["open"], t["pending"]]
        out.append(rate_text(t.get("onTimeRate")))
    return [str(v) for v in out]


def main():
    report = json.load(open(sys.argv[1], encoding="utf-8"))
    events = read_log(sys.argv[2], report["journal"]["lastSeq"], report["journal"]["lastHash"])
    mine = recompute(report, events, working_days(sys.argv[3]))
    check = Comparison()
    check.figures("totals", mine["totals"], report["totals"])
    theirs = {line["agency"]: line["figures"] for line in report["counterparts"]}
    for agency in sorted(set(mine["lines"]) | set(theirs)):
        check.figures(agency, mine["lines"].get(agency, figures()) if agency in mine["lines"] else rate_filled(figures()),
                      theirs.get(agency) or rate_filled(figures()))
    values = {c["criterion"]: c["value"] for c in report["criteria"]}
    check.same("criterion 1", mine["totals"]["documentsReceived"], values.get(1))
    check.same("criterion 2", mine["totals"]["jointEvents"], values.get(2))
    check.same("criterion 3", mine["totals"]["peopleHelped"], values.get(3))
    for month in report["months"]:
        for key in ("documentsReceived", "requestsSent", "jointEvents", "helpRecords"):
            check.same(f"month {month['month']}.{key}", mine["months"].get(month["month"], {}).get(key), month[key])
    check.same("months", sorted(mine["months"]), [m["month"] for m in report["months"]])
    for line in report["jointEventsByKind"]:
        count, who = mine["joint"].get(line["kind"], (0, set()))
        check.same(f"joint {line['kind']} events", count, line["events"])
        check.same(f"joint {line['kind']} people", len(who), line["people"])
    for line in report["helpByKind"]:
        count, who = mine["help"].get(line["kind"], (0, set()))
        check.same(f"help {line['kind']} records", count, line["records"])
        check.same(f"help {line['kind']} people", len(who), line["people"])
    check.same("overdue count", len(mine["overdue"]), len(report["overdue"]))
    for index, (ours, theirs_item) in enumerate(zip(mine["overdue"], report["overdue"])):
        for key, value in ours.items():
            check.same(f"overdue[{index}].{key}", value, theirs_item.get(key))
    check.same("personKeyIDs", mine["keys"], report["personKeyIDs"])
    for key, value in mine["children"].items():
        check.same(f"children.{key}", value, report["children"][key])
    if len(sys.argv) > 4:
        tables = open(sys.argv[4], encoding="utf-8", newline="").read().split("\r\n\r\n")
        rows = [list(csv.reader(io.StringIO(t))) for t in tables]
        check.same("csv journal range", rows[0][1][8:10], [str(report["journal"]["lastSeq"]), report["journal"]["lastHash"]])
        csv_lines = {row[0]: row[2:] for row in rows[1][1:]}
        check.same("csv totals", csv_lines.get("*"), flatten(mine["totals"]))
        for agency, f in mine["lines"].items():
            check.same(f"csv {agency}", csv_lines.get(agency), flatten(f))
        csv_overdue = [r for r in rows[2][1:] if r]
        check.same("csv overdue", [r[0] for r in csv_overdue], [o["number"] for o in mine["overdue"]])
    for difference in check.differences:
        print(difference)
    print(f"{check.count} figures compared, {len(check.differences)} different; journal up to entry {len(events)}")
    sys.exit(1 if check.differences else 0)


def rate_filled(f):
    for key in ("answersToOurRequests", "ourAnswers"):
        f[key]["onTimeRate"] = None
    return f


if __name__ == "__main__":
    main()
