"""Write the series' tables from the notebooks themselves: the index, the landing page, the README and
the instructor's guide (agendas, sections to demonstrate, where people get stuck), so that no time,
title or prerequisite is copied by hand, and a notebook not yet on the branch is not listed.

Each notebooks/NN-*.ipynb states in its opening cell its title (`# NN · Title`), what it needs
(`**What you need**: ...`), its time (`**Time**: about N minutes`, and for a notebook taken in two
sittings the minutes of each) and what you will learn. This script reads those, and rewrites the
blocks between `<!-- series-index:NAME -->` and `<!-- /series-index:NAME -->` in README.md,
book/index.md, notebooks/README.md and notebooks/INSTRUCTORS.md. Only the notebooks present are
listed, so a notebook that lands is one run away: `python book/series_index.py`.
tests/test_series_index.py fails when a committed page is out of date.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: The series as design.md plans it: a notebook may link to one of these before it has landed.
PLANNED = {"06": "06-choreography-vs-orchestration.ipynb", "07": "07-lambda-power-tuning.ipynb",
           "08": "08-best-practices.ipynb"}
LAST = "08"


class Notebook(NamedTuple):
    path: Path
    number: str
    title: str
    minutes: int
    sittings: tuple[tuple[str, int], ...]   # (what the sitting covers, minutes); empty for one sitting
    needs: str
    learn: tuple[str, ...]

    @property
    def builds_on(self) -> tuple[str, ...]:
        """The earlier notebooks its "What you need" names (helpful, never required: each stands alone)."""
        named = set()
        for first, last in re.findall(r"\b(\d\d)(?:\s*[-–]\s*(\d\d))?\b", self.needs):  # "04", "01-05"
            named.update(f"{n:02d}" for n in range(int(first), int(last or first) + 1))
        return tuple(sorted(n for n in named if n < self.number))

    @property
    def time(self) -> str:
        count = {2: "two", 3: "three"}.get(len(self.sittings))
        return f"{self.minutes} min" + (f" ({count} sittings)" if count else "")


def _opening(path: Path) -> str:
    cell = json.loads(path.read_text())["cells"][0]
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _sittings(text: str, minutes: int, name: str) -> tuple[tuple[str, int], ...]:
    """'best in two sittings: A (…, about 35 minutes), then B (about 40).' -> ((A…, 35), (B…, 40))."""
    found = re.search(r"in two sittings:\s*(.+?)\.\s*$", text, re.S | re.M)
    if not found:
        return ()
    parts = re.split(r",\s*then\s+", " ".join(found[1].split()))
    sittings = []
    for part in parts:
        number = re.search(r"about (\d+)(?: minutes)?\)", part)
        label = re.sub(r"\s*\((?:[^()]*,\s*)?about \d+(?: minutes)?\)", "", part).strip()
        assert number, f"{name}: each sitting should say 'about N minutes': {part!r}"
        sittings.append((label, int(number[1])))
    assert sum(m for _, m in sittings) == minutes, f"{name}: the sittings' minutes should add up to {minutes}"
    return tuple(sittings)


def read(path: Path) -> Notebook:
    """What the notebook's opening cell states."""
    text = _opening(path)
    title = re.search(r"^#\s+\d\d\s+·\s+(.+)$", text, re.M)
    time = re.search(r"\*\*Time\*\*: about (\d+) minutes", text)
    needs = re.search(r"\*\*What you need\*\*:\s*(.+?)\s*\*\*Time\*\*", text, re.S)
    assert title and time and needs, f"{path.name}: the opening should have '# NN · Title', What you need, Time"
    learn = re.search(r"\*\*What you will learn\*\*[^\n]*\n(.+?)\n\n", text, re.S)
    bullets = re.split(r"\n- ", "\n" + learn[1].strip()) if learn else []
    minutes = int(time[1])
    return Notebook(path, path.name[:2], title[1].strip(), minutes,
                    _sittings(text[time.start():], minutes, path.name),
                    " ".join(needs[1].split()).rstrip("."),
                    tuple(" ".join(b.split()).rstrip(";.") for b in bullets if b.strip()))


def series(folder: Path = NOTEBOOKS) -> list[Notebook]:
    return [read(path) for path in sorted(folder.glob("[0-9][0-9]-*.ipynb"))]


def link(notebook: Notebook, prefix: str = "") -> str:
    return f"[{notebook.title}]({prefix}{notebook.path.name})"


# What each notebook shows, for the README's table (one line of prose per notebook, written by hand; a
# notebook without one is described by what its opening says you will learn).
SHOWS = {
    "00": "what is mocked and how, an environment check, a first function deployed and invoked, its REPORT "
          "line, memory from 128 to 10,240 MB",
    "01": "synchronous (errors, log tail, throttling), asynchronous (202, retries at +1/+3 min, max age, "
          "destinations, DLQ, duplicates), SQS batches with partial failures and a poison message, a stream "
          "blocking its shard; a comparison table and a timeline widget",
    "02": "a synchronous order API broken by one failing call, rebuilt on a custom bus: every pattern operator, "
          "input transformers, one event to Lambda, SQS, SNS and Step Functions, archive and replay after a bug "
          "fix, a DLQ, one order followed through the trace",
    "03": "Hohpe's facets of coupling, each pointed at in the lab; one producer and one kitchen wired four ways "
          "(Lambda calling Lambda, SQS, SNS fan-out, EventBridge) through a 10-minute outage: producer errors, "
          "buffered, parked and lost orders, per-order delay, charted; a redrive; the patterns' trade-offs and "
          "Dengler's four interaction models; a pattern-choice exercise",
    "04": "the Lambda Bistro as five bounded contexts, each with its own table, reacting to events on one bus; "
          "events as versioned JSON Schema contracts; a declined payment and a kitchen out of salmon undone by "
          "compensating events; one order in phased sequence diagrams; an observer rebuilt from the archive "
          "that answers \"where is order 42?\"; a loyalty-points exercise",
    "05": "the same order process as a Step Functions state machine: Task (Lambda, and DynamoDB and SNS called "
          "directly), Choice, Parallel, Map over order lines, Retry with backoff and Catch, a saga compensating "
          "in reverse order, a courier callback with `.waitForTaskToken` and its timeout; each execution's path "
          "drawn and its history read; Standard vs Express at AWS prices; a flaky-payment exercise",
    "06": "the same lunch of orders through a choreography, an orchestration and a hybrid, with the same "
          "failures injected: outcomes, messages and invocations, end-to-end time and the bill at AWS prices; "
          "where each design keeps the process state and answers \"where is order 42?\"; what a new step "
          "costs; Dengler's choreograph between, orchestrate within; a failure-rate explorer; a "
          "choose-the-design exercise",
    "07": "what memory buys (1,769 MB = one vCPU, six at 10,240 MB); a CPU-bound, an I/O-bound and a "
          "multi-threaded function measured from 128 to 10,240 MB and priced from AWS's price table (x86 and "
          "Arm); AWS Lambda Power Tuning rebuilt as a Step Functions state machine and run; its cost, speed and "
          "balanced strategies; a fleet of twelve functions tuned in one go; a memory-and-architecture widget; "
          "a pick-the-memory exercise",
    "08": "transform, don't transport (an input transformer instead of a glue function); one function per job "
          "vs a Lambda-lith; idempotency under at-least-once delivery (a conditional write, Powertools); the "
          "saga and the transactional outbox; Lambda calling Lambda, and recursive loops stopped by AWS; an "
          "operations checklist per pattern; a takeaway-orders capstone checked against a scripted day",
}


def _plain(text: str) -> str:
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text.replace("**", "").replace("*", ""))


def readme_table(notebooks: list[Notebook]) -> str:
    rows = ["| # | Notebook | You will see | Time |", "|---|---|---|---|"]
    for nb in notebooks:
        shows = SHOWS.get(nb.number) or "; ".join(_plain(b) for b in nb.learn)
        rows.append(f"| {nb.number} | {link(nb, 'notebooks/')} | {shows} | {nb.time} |")
    return "\n".join(rows)


def landing_table(notebooks: list[Notebook]) -> str:
    rows = ["| # | Notebook | Time |", "|---|---|---|"]
    rows += [f"| {nb.number} | {link(nb, 'notebooks/')} | {nb.time} |" for nb in notebooks]
    return "\n".join(rows)


def index_table(notebooks: list[Notebook]) -> str:
    by_number = {nb.number: nb for nb in notebooks}
    rows = ["| # | Notebook | Time | Builds on (helpful, not required) |", "|---|---|---|---|"]
    for nb in notebooks:
        earlier = ", ".join(f"[{n}]({by_number[n].path.name})" if n in by_number else n for n in nb.builds_on)
        rows.append(f"| {nb.number} | {link(nb)} | {nb.time} | {earlier or 'stands alone'} |")
    return "\n".join(rows)


def index_details(notebooks: list[Notebook]) -> str:
    parts = []
    for nb in notebooks:
        sittings = ", then ".join(f"{label} ({minutes} min)" for label, minutes in nb.sittings)
        learn = "\n".join(f"- {b}" for b in nb.learn)
        parts.append(f"### {nb.number} · {link(nb)}\n\n"
                     f"**Time**: {nb.minutes} min{', in two sittings: ' + sittings if sittings else ''}. "
                     f"**What you need**: {nb.needs}.\n\n**What it builds**:\n\n{learn}\n")
    return "\n".join(parts)


# ---- The instructor's guide's agendas -------------------------------------------------------------
# An agenda is a list of items: a notebook number ("01" whole, "01/1" and "01/2" its sittings) or a
# pause (name, minutes). Notebooks not present are left out, then pauses that no longer sit between two
# sessions; every day ends with WRAP. Each day starts at START; its length is the sum of its items.
START = 9 * 60
BREAK, LONG_BREAK, LUNCH, WRAP = ("Break", 10), ("Break", 15), ("Lunch", 60), ("Questions and wrap-up", 10)
AGENDAS = {
    "Half day: how Lambda runs your code, and events": ["00", "01", LONG_BREAK, "02"],
    "Half day: bounded contexts, choreography and orchestration": ["00", "04", LONG_BREAK, "05", BREAK, "06"],
    "Full day: from the lab to orchestration":
        ["00", "01", LONG_BREAK, "02", LUNCH, "03", BREAK, "04", LONG_BREAK, "05"],
    "Half day after the full day: comparing the designs, tuning, practice":
        ["06", LONG_BREAK, "07", BREAK, "08"],
}
#: How long each kind of day may run (minutes): the tests hold the agendas to it.
LIMITS = {"Half day": 4 * 60, "Full day": 8 * 60}


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def agenda_rows(items: list, notebooks: dict[str, Notebook]) -> list[tuple[str, int]]:
    """(what, minutes) for each item whose notebook is present, a pause only between two sessions."""
    sequence: list[tuple[str, int, bool]] = []
    for item in items:
        if isinstance(item, tuple):
            sequence.append((item[0], item[1], False))
            continue
        number, _, sitting = item.partition("/")
        nb = notebooks.get(number)
        if nb is None:
            continue
        if sitting:
            label, minutes = nb.sittings[int(sitting) - 1]
            what = f"{number} · {link(nb)}, sitting {sitting} of {len(nb.sittings)}: {label}"
            sequence.append((what, minutes, True))
        else:
            sequence.append((f"{number} · {link(nb)}", nb.minutes, True))
    rows: list[tuple[str, int, bool]] = []
    for row in sequence:
        if row[2] or (rows and rows[-1][2]):
            rows.append(row)
    rows = [r for i, r in enumerate(rows) if r[2] or (i + 1 < len(rows) and rows[i + 1][2])]
    return [(what, minutes) for what, minutes, _ in rows] + ([WRAP] if rows else [])


def agendas(notebooks: list[Notebook]) -> str:
    present = {nb.number: nb for nb in notebooks}
    parts = []
    for name, items in AGENDAS.items():
        rows = agenda_rows(items, present)
        if not any(what[:2].isdigit() for what, _ in rows):
            continue
        total = sum(m for _, m in rows)
        table, at = ["| Start | Length | What |", "|---|---|---|"], START
        for what, minutes in rows:
            table.append(f"| {_clock(at)} | {minutes} min | {what} |")
            at += minutes
        parts.append(f"### {name}\n\n**Length**: {total // 60} h {total % 60:02d} min, "
                     f"{_clock(START)} to {_clock(at)}.\n\n" + "\n".join(table) + "\n")
    return "\n".join(parts)


# Which sections (the notebook's own headings) the instructor demonstrates on the projector, and which
# the attendees do themselves. A notebook without an entry gets the default: its exercises and "Try it"
# sections are the attendees', the rest is demonstrated.
SECTIONS = {
    "00": (["What the lab is", "Read the REPORT line"],
           ["Check your environment", "A first function", "Invoke it", "Try it: memory size and duration",
            "When the handler fails", "Start again"]),
    "01": (["1 · Synchronous: the caller waits", "Retries at +1 and +3 minutes", "The three models compared"],
           ["Destinations: where the outcome goes", "A dead-letter queue",
            "Partial batch responses: `batchItemFailures`", "The same failures in each model",
            "Exercise 1 · Catch failed receipts with an on-failure destination",
            "Exercise 2 · Report partial batch failures"]),
    "02": (["1 · A prototype: one API, three synchronous calls", "2 · From calls to events",
            "4 · Archive and replay: recovering from a consumer's bug"],
           ["3 · Event patterns: every operator", "Try it: an event-pattern playground",
            "Exercise 1 · Large orders from one region",
            "Exercise 2 · Catch failed deliveries in a dead-letter queue",
            "6 · What is happening in the exchange of events?"]),
    "03": (["How components connect", "The experiment: the kitchen goes down for ten minutes", "The comparison",
            "The facets of coupling, in what you saw"],
           ["One order, four ways", "What was parked, what was lost", "Recovering the parked orders",
            "Exercise: choose the pattern"]),
    "04": (["1 · The restaurant as bounded contexts", "2 · Events as contracts", "5 · The happy path",
            "8 · Lunchtime, and a question no context can answer"],
           ["6 · A declined payment: one compensating event", "7 · The kitchen runs out: a chain of compensations",
            "9 · An observer context, built from the archive", "10 · Exercise: a loyalty context"]),
    "05": (["One process, one conductor", "The state machine",
            "Execution 1 · A card order, and a courier who answers"],
           ["Execution 2 · A transient error, retried", "Execution 3 · A declined card, and the saga",
            "Execution 4 · The courier never answers", "Where is order 42?", "Standard or Express?",
            "Exercise: a flaky payment provider"]),
    "07": (["What memory buys", "The tuner, built as the real tool is built",
            "Cost, speed, balanced: the three strategies"],
           ["Measuring by hand: one memory size", "What an invocation costs",
            "Move memory and architecture yourself", "Tuning a fleet", "Exercise: pick the memory"]),
    "06": (["1 · One lunch, three designs, the same failures", "2 · Side by side",
            "4 · Dengler and Taco Bell: choreograph between, orchestrate within"],
           ["3 · Where the state lives, and what a new step costs", "5 · The hybrid",
            "6 · All three, side by side", "Try another failure rate", "Exercise: choose the design"]),
    "08": (["1 · Transform, don't transport", "2 · One function per job, or a Lambda-lith?",
            "5 · Lambda calling Lambda, and recursive loops",
            "6 · Operations, security and reliability, per pattern"],
           ["3 · Idempotency under at-least-once delivery", "4 · Data consistency across services",
            "7 · Capstone: takeaway orders", "Exercise · Design the takeaway path"]),
}
#: Headings that are the same in every notebook and belong to neither list.
COMMON_HEADINGS = {"Start the lab", "Summary", "On real AWS", "Review questions", "Further reading"}


def headings(path: Path, level: str = "#{2,3}") -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return [h.strip() for c in cells if c["cell_type"] == "markdown"
            for h in re.findall(rf"^{level}\s+(.+)$", c["source"] if isinstance(c["source"], str)
                                else "".join(c["source"]), re.M)]


def demo_and_attendees(nb: Notebook) -> tuple[list[str], list[str]]:
    if nb.number in SECTIONS:
        return SECTIONS[nb.number]
    own = [h for h in headings(nb.path, "##") if h not in COMMON_HEADINGS]
    theirs = [h for h in own if re.match(r"(\d+ · )?(Exercise|Try it)", h)]
    return [h for h in own if h not in theirs], theirs


def sections_table(notebooks: list[Notebook]) -> str:
    rows = ["| Notebook | Demonstrate (on the projector, talking) | Leave to the attendees |", "|---|---|---|"]
    for nb in notebooks:
        demo, theirs = demo_and_attendees(nb)
        rows.append(f"| {nb.number} · {link(nb)} | {'; '.join(demo)} | {'; '.join(theirs)} |")
    return "\n".join(rows)


#: Where people get stuck, per exercise: the wrong attempts its check recognises, quoted word for word
#: (tests/test_series_index.py reads the quotes between “ and ” in helpers/checks; … stands for a value).
STUCK: dict[str, dict[str, list[str]]] = {
    "01": {
        "on-failure-destination": [
            "The destination is set with the queue's URL, or as `OnSuccess`: “OnFailure (not "
            "OnSuccess) takes the queue's ARN, not its URL.”",
            "The failing order is sent synchronously: “… ran synchronously: a synchronous call "
            "returns its error to the caller and never reaches a destination.”",
            "Nothing arrives yet: “Lambda is still retrying (at +1 and +3 minutes), and the record is"
            " sent after the last one.”, with the nudge “let the virtual clock run on: "
            "lab.advance(minutes=3).”",
            "The destination was set after the event was sent: “was the destination set after the "
            "event was sent?”",
        ],
        "partial-batch-failures": [
            "The handler lets the error escape: “the handler raised, so the batch of … failed as a "
            "whole: all of it came back after the visibility timeout, and the good orders were "
            "processed twice.”",
            "The mapping does not ask for the report: “without "
            "FunctionResponseTypes=[\"ReportBatchItemFailures\"] Lambda ignores the batchItemFailures a"
            " handler returns, and deletes the whole batch.”",
            "The report names the order instead of the message: “Each entry must be "
            "{\"itemIdentifier\": <the record's messageId>}: not an order_id, not a bare string, not "
            "empty.”",
        ],
    },
    "02": {
        "large-orders": [
            "The region and total are put at the top of the pattern: “the fields of the order are "
            "under \"detail\" in the event”.",
            "The threshold is quoted: “numeric compares numbers, and a quoted number is a string.”",
        ],
        "dead-letter-queue": [
            "The dead-letter queue replaces the target: “… was made the target itself (the target's "
            "Arn), not the target's dead-letter queue”, with the nudge “keep the printer queue as the"
            " target's Arn; put the DLQ's ARN in DeadLetterConfig.”",
        ],
    },
    "03": {
        "choose-the-pattern": [
            "The right choices with a vague reason: “all three choices fit, but the reason given "
            "for”; the first hint asks of each scenario “does the sender need the answer now?”",
        ],
    },
    "04": {
        "loyalty-points": [
            "Another context edited to call the new one: “you changed other contexts: ”, then “A new "
            "context must not need that: on a bus, a new consumer only adds its own rule.”",
            "The rule listens to `OrderPlaced`: “your context reacts to an event that comes before "
            "the payment (OrderPlaced?), so a customer whose card was declined is rewarded too.”, "
            "nudged to “react to the fact that the money came in: PaymentSucceeded.”",
            "The duplicate delivery is counted: “EventBridge delivers at least once, and your handler"
            " counted the duplicate.” This is the exercise's real lesson: leave time for it.",
            "Section 9 skipped: “the check reads the order timeline: run the observer's cells "
            "(section 9) first.”",
        ],
    },
    "05": {
        "flaky-payment": [
            "A `Catch` instead of a `Retry`: “A Retry tries the same state again, with "
            "IntervalSeconds, BackoffRate and MaxAttempts.”",
            "Too few attempts: “MaxAttempts counts retries after the first attempt: you need at least"
            " ….”",
            "A retrier on `States.ALL`: “so it would also retry a PaymentDeclined: a declined card "
            "charged again and again”.",
            "A retrier on `States.Timeout`: “States.Timeout is Step Functions' own error when a task "
            "runs past its TimeoutSeconds”.",
        ],
    },
    "06": {
        "choose-the-design": [
            "The right designs without a reason: “all three choices fit; now say why.”, nudged to “in"
            " each sentence, name what decides the design in that scenario (who must stay "
            "independent, what must be seen or undone, where the boundary between contexts is).”",
            "Orchestration for the new teams: “a central workflow would have to call each team's "
            "service and change every time a team joins or leaves: it couples the teams to one "
            "owner.”",
            "Choreography for the bakery: “the bakery's own steps (proof, bake, cool, box, with "
            "timers and retries) would become a web of events inside one team, with no place to see "
            "where a batch is.”",
        ],
    },
    "07": {
        "pick-the-memory": [
            "The fastest size: “… MB is the fastest, not the cheapest of the sizes that meet the "
            "goal.”, nudged to “the goal is a ceiling, not a race: any size under 5 ms will do; "
            "compare their bills.”",
            "The cheapest size overall: “it misses the 5 ms goal, however cheap.”",
            "The bill without the requests: “leaves out the requests”, nudged to “a bill is requests "
            "plus duration; for short functions the requests are most of it.”",
            "Arm priced as x86: “prices arm64 at the x86 rate.”",
        ],
    },
    "08": {
        "takeaway": [
            "The app calls the function itself: “directly (synchronously): while the card provider "
            "was down”, nudged to “Put a queue between the app and the function: the queue keeps each"
            " order until it is charged.”",
            "A queue without a dead-letter queue: “the queue has no dead-letter queue”, nudged to "
            "“Give the queue a RedrivePolicy that moves a message to a DLQ after a few receives.”",
            "A dead-letter queue that gives up before the outage ends: “orders placed during the "
            "10-minute outage were parked in the DLQ”, nudged to “Retry for longer than an outage "
            "lasts”.",
            "The handler that charges every delivery: “the app sent them twice and your handler "
            "charged every delivery.”",
            "A mapping Lambda refuses: “Lambda refuses a mapping when the function's timeout, … s, is"
            " longer than the queue's visibility timeout”.",
        ],
    },
}


def stuck(notebooks: list[Notebook]) -> str:
    parts = []
    for nb in notebooks:
        for name, bullets in STUCK.get(nb.number, {}).items():
            parts.append(f"### {nb.number} · {name}\n\n" + "\n".join(f"- {b}" for b in bullets) + "\n")
    return "\n".join(parts)


PAGES = {
    ROOT / "README.md": {"table": readme_table},
    ROOT / "book" / "index.md": {"table": landing_table},
    NOTEBOOKS / "README.md": {"table": index_table, "details": index_details},
    NOTEBOOKS / "INSTRUCTORS.md": {"agendas": agendas, "sections": sections_table, "stuck": stuck},
}


def render(text: str, blocks: dict, notebooks: list[Notebook]) -> str:
    """`text` with each block between its markers rewritten."""
    for name, write in blocks.items():
        start, end = f"<!-- series-index:{name} -->", f"<!-- /series-index:{name} -->"
        assert start in text and end in text, f"the page should hold the markers {start} ... {end}"
        before, rest = text.split(start, 1)
        text = f"{before}{start}\n{write(notebooks).rstrip()}\n{end}{rest.split(end, 1)[1]}"
    return text


if __name__ == "__main__":
    found = series()
    for page, page_blocks in PAGES.items():
        page.write_text(render(page.read_text(), page_blocks, found))
        print(f"wrote {page.relative_to(ROOT)}")
