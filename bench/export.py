"""Export benchmark: a board of 1,000 threads and 20,000 posts summarised in every format.

Run by hand (`make bench-export`); prints figures, asserts nothing. Fills a throw-away SQLite database (migrated
to head, so the four themes and the official municipality list are there) with deterministic data by bulk
inserts, not through the services: members of every role (mayors and education-board staff of real
municipalities with their codes, companies with a 法人番号, universities, the secretariat), threads over the four
themes and fiscal years 2024–2025 (令和6・7年度), visible posts of 100–800 characters in the words of
bench/search.py, a few hidden posts, outcomes, versioned conclusions, key points and 「参考になった」 marks, with
every counter as the services keep it (no search index, no audit entries: the export reads neither).

Each format is then exported for the whole board (the filling happens in a forked child, so it does not weigh
on the figures): the files (xlsx, csv, md, json) as `flask export summary`
does (``export_summary`` → chunks → a file), the print view through the export page (a POST by a logged-in
secretariat member, the HTML read whole). Measured per format: wall and CPU time, output size, the peak RSS of
the process during that export (the high-water mark is reset before each one where Linux allows it), and, in a
second run because tracing slows Python down, the peak of Python allocations (``tracemalloc``).

    .venv/bin/python bench/export.py                              # 1,000 threads, 20,000 posts
    .venv/bin/python bench/export.py --threads 200 --posts 4000 --formats xlsx,json
    .venv/bin/python bench/export.py --keep /tmp/export-bench      # keep the database and the files there
    .venv/bin/python bench/export.py --no-trace                    # times and RSS only (no tracemalloc run)

Goal: the XLSX of the whole 1,000-thread board in seconds, not minutes (under 60 s).
"""
from __future__ import annotations

import argparse
import csv
import gc
import html
import json
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import TITLES, Corpus  # noqa: E402
from educussion import create_app  # noqa: E402
from educussion.export.services import export_summary  # noqa: E402
from educussion.export.summary import SummaryFilters  # noqa: E402
from educussion.extensions import db  # noqa: E402
from educussion.models import (HelpfulMark, Organisation, OrganisationKind, Outcome, Post,  # noqa: E402
                               PostRevision, Role, Theme, Thread, ThreadConclusion, User, Verification, Visibility)
from educussion.orgs.codes import corporate_number_check_digit, mayor_title  # noqa: E402

SEED = 20240401
FORMATS = ["xlsx", "csv", "md", "json", "print"]
GOAL_XLSX_S = 60.0  # "seconds, not minutes"
BASE_URL = "https://educussion.example.jp"
CHUNK_ROWS = 2000  # rows per INSERT … VALUES batch
MD_THREAD = "\n## "  # read back: a heading of a thread (or of the overview) in Markdown; a thread in the print view
PRINT_THREAD = '<article class="print__thread"'

START = datetime(2024, 3, 31, 15, tzinfo=timezone.utc)  # 2024-04-01 00:00 in Tokyo: 令和6年度
END = datetime(2026, 3, 31, 15, tzinfo=timezone.utc)  # 2026-04-01 00:00 in Tokyo: the end of 令和7年度
REPLY_SPAN = timedelta(days=120)  # replies come within four months of the opening post

MUNICIPALITIES = 150  # each with a mayor and a member of its education board
COMPANY_NAMES = [f"株式会社{a}{b}" for a in ("みらい", "ひかり", "あおば", "さくら", "つばさ", "やまと", "しらかば", "はやぶさ")
                 for b in ("教育システム", "通信", "情報サービス", "ICTソリューションズ", "学習ネット")]
UNIVERSITY_NAMES = [f"{a}{b}" for a in ("北辰", "青葉", "東雲", "若葉", "白鷺", "朝日", "常盤", "紫苑", "桔梗", "深山")
                    for b in ("大学", "教育大学")]
ACADEMICS_PER_UNIVERSITY = 2
SECRETARIAT_MEMBERS = 3
SECRETARIAT_ORG = "全国ICT教育首長協議会 事務局"
HQ_PREFECTURES = ["東京都", "東京都", "東京都", "大阪府", "愛知県", "福岡県", "宮城県", "北海道", "広島県", "佐賀県"]
FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "松本", "井上",
          "木村", "林", "清水", "山口", "森", "池田", "橋本", "石川", "前田", "藤田", "岡田", "後藤", "長谷川", "村上"]
GIVEN = ["太郎", "花子", "一郎", "誠一", "陽子", "健太", "美咲", "直樹", "由美", "大輔", "恵子", "翔太", "裕子", "浩二",
         "真理", "拓也", "明美", "隆", "智子", "和也"]
TITLES_BY_ROLE = {
    Role.MUNICIPAL_STAFF: ["教育委員会 学校教育課 主査", "教育委員会 教育総務課 係長", "教育委員会 ICT推進室 主任"],
    Role.COMPANY: ["営業部長", "文教営業部 課長", "公共事業本部 主任"],
    Role.ACADEMIC: ["教育学部 教授", "情報学部 准教授", "教職大学院 講師"],
    Role.SECRETARIAT: ["事務局長", "事務局員"],
}
OPENER_ROLES = ([Role.MAYOR, Role.MUNICIPAL_STAFF, Role.ACADEMIC, Role.COMPANY], [55, 38, 5, 2])
REPLIER_ROLES = ([Role.MAYOR, Role.MUNICIPAL_STAFF, Role.COMPANY, Role.ACADEMIC, Role.SECRETARIAT], [28, 27, 20, 20, 5])
OUTCOMES = ([Outcome.UNDER_DISCUSSION, Outcome.RESOLVED, Outcome.REFLECTED, Outcome.CONTINUED], [40, 25, 20, 15])
CONCLUDED_RATE = {Outcome.UNDER_DISCUSSION: 0.1}  # the other outcomes: 0.8
SILENT_THREAD_RATE = 0.05  # threads with no reply at all
HIDDEN_PER_POSTS = 200  # one hidden post (on top of the visible ones) per 200 visible posts
KEY_POINT_RATE = 0.03
HELPFUL_RATE = 0.25  # visible posts with at least one 「参考になった」
MAX_HELPFUL = 8
HIDE_REASON = "個人の連絡先が含まれているため"
CONCLUSION_OPENERS = ["議論の結果、次の点で一致しました。", "事務局として論点を整理します。", "これまでの意見を次のようにまとめます。"]


# --- the board ---------------------------------------------------------------------------------------------

@dataclass
class Member:
    id: int
    role: Role
    organisation: str
    title: str
    prefecture: str


@dataclass
class Board:
    """What was inserted: counts for the report and the secretariat member who exports."""

    members: dict[str, int] = field(default_factory=dict)  # by role
    threads: int = 0
    visible_posts: int = 0
    hidden_posts: int = 0
    conclusions: int = 0
    concluded_threads: int = 0
    key_points: int = 0
    helpful_marks: int = 0
    characters: int = 0
    secretariat_id: int = 0


def paragraphs_html(source: str) -> str:
    """What text.render makes of plain paragraphs (much faster for 20,000 posts)."""
    return "".join(f"<p>{html.escape(part.strip())}</p>" for part in source.split("\n\n") if part.strip())


def bulk_insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK_ROWS):
        db.session.execute(insert(table.__table__), rows[start:start + CHUNK_ROWS])


def person_name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"


def insert_members(rng: random.Random, now: datetime) -> list[Member]:
    """Mayors and staff of real municipalities (codes from the migration), companies, universities, the secretariat."""
    towns = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.prefecture, Organisation.municipality_kind)
        .where(Organisation.municipality_kind.in_(["city", "town", "village"])).order_by(Organisation.municipality_code)
    ).all()
    next_org = (db.session.execute(select(func.max(Organisation.id))).scalar() or 0) + 1
    new_orgs, holders = [], []  # holders: (organisation id, name, prefecture, role, title)
    for town in sorted(rng.sample(towns, min(MUNICIPALITIES, len(towns))), key=lambda t: t.id):
        holders.append((town.id, town.name, town.prefecture, Role.MAYOR, mayor_title(town.municipality_kind)))
        holders.append((town.id, town.name, town.prefecture, Role.MUNICIPAL_STAFF,
                        rng.choice(TITLES_BY_ROLE[Role.MUNICIPAL_STAFF])))
    others = ([(name, OrganisationKind.COMPANY, Role.COMPANY, 1) for name in COMPANY_NAMES]
              + [(name, OrganisationKind.UNIVERSITY, Role.ACADEMIC, ACADEMICS_PER_UNIVERSITY)
                 for name in UNIVERSITY_NAMES]
              + [(SECRETARIAT_ORG, OrganisationKind.SECRETARIAT, Role.SECRETARIAT, SECRETARIAT_MEMBERS)])
    for name, kind, role, people in others:
        prefecture = "東京都" if role == Role.SECRETARIAT else rng.choice(HQ_PREFECTURES)
        base12 = f"{rng.randrange(10**12):012d}"
        new_orgs.append({"id": next_org, "kind": kind, "name": name, "kana": "", "municipality_code": None,
                         "prefecture": prefecture, "municipality_kind": None, "created_at": now,
                         "corporate_number": f"{corporate_number_check_digit(base12)}{base12}"
                         if kind == OrganisationKind.COMPANY else None})
        holders += [(next_org, name, prefecture, role, rng.choice(TITLES_BY_ROLE[role])) for _ in range(people)]
        next_org += 1
    bulk_insert(Organisation, new_orgs)
    users, verifications, members = [], [], []
    for user_id, (org_id, org_name, prefecture, role, title) in enumerate(holders, start=1):
        users.append({"id": user_id, "email": f"member{user_id}@bench.example.jp", "password_hash": "!bench",
                      "display_name": person_name(rng), "role": role, "organisation_id": org_id, "title": title,
                      "verified_at": START - timedelta(days=30), "email_confirmed_at": START - timedelta(days=30),
                      "session_token": f"bench-session-{user_id}", "created_at": START - timedelta(days=30)})
        verifications.append({"user_id": user_id, "organisation_id": org_id, "role": role, "title": title,
                              "started_at": START - timedelta(days=30)})
        members.append(Member(user_id, role, org_name, title, prefecture))
    bulk_insert(User, users)
    bulk_insert(Verification, verifications)
    return members


class Generator:
    """Threads, posts, conclusions and marks, row dictionaries ready for INSERT; ids are given here."""

    def __init__(self, members: list[Member], theme_ids: list[int], now: datetime):
        self.corpus = Corpus(SEED)
        self.rng = self.corpus.rng
        self.now = now
        self.theme_ids = theme_ids
        self.by_role: dict[Role, list[Member]] = {}
        for member in members:
            self.by_role.setdefault(member.role, []).append(member)
        self.member_ids = [m.id for m in members]
        self.secretariat = self.by_role[Role.SECRETARIAT]
        self.threads: list[dict] = []
        self.posts: list[dict] = []
        self.revisions: list[dict] = []
        self.conclusions: list[dict] = []
        self.marks: list[dict] = []

    def member(self, roles: tuple[list[Role], list[int]]) -> Member:
        role = self.rng.choices(*roles)[0]
        return self.rng.choice(self.by_role[role])

    def reply_counts(self, threads: int, replies: int) -> list[int]:
        """A few busy threads, many quiet ones, some without any reply."""
        weights = [0.0 if self.rng.random() < SILENT_THREAD_RATE else self.rng.lognormvariate(0, 1)
                   for _ in range(threads)]
        counts = Counter(self.rng.choices(range(threads), weights=weights, k=replies)) if replies else Counter()
        return [counts.get(i, 0) for i in range(threads)]

    def post(self, thread: dict, author: Member, position: int, moment: datetime, status: Visibility) -> dict:
        source = self.corpus._body(self.rng.randint(100, 800))
        hidden = status == Visibility.HIDDEN
        row = {"id": len(self.posts) + 1, "thread_id": thread["id"], "position": position, "author_id": author.id,
               "author_role": author.role, "author_organisation": author.organisation,
               "author_title": author.title, "author_prefecture": author.prefecture, "body_source": source,
               "body_html": paragraphs_html(source), "created_at": moment, "status": status,
               "moderation_reason": HIDE_REASON if hidden else None,
               "moderated_at": moment + timedelta(hours=3) if hidden else None,
               "moderated_by_id": self.secretariat[0].id if hidden else None,
               "is_key_point": not hidden and self.rng.random() < KEY_POINT_RATE, "helpful_count": 0}
        self.posts.append(row)
        self.revisions.append({"post_id": row["id"], "number": 1, "editor_id": author.id, "body_source": source,
                               "title": thread["title"] if position == 1 else None, "created_at": moment,
                               "is_moderator_edit": False, "reason": None})
        if not hidden and self.rng.random() < HELPFUL_RATE:
            self.mark_helpful(row)
        return row

    def mark_helpful(self, post: dict) -> None:
        markers = [i for i in self.rng.sample(self.member_ids, MAX_HELPFUL + 1) if i != post["author_id"]]
        for user_id in markers[:self.rng.randint(1, MAX_HELPFUL)]:
            moment = min(post["created_at"] + timedelta(hours=self.rng.randint(1, 240)), self.now)
            self.marks.append({"post_id": post["id"], "user_id": user_id, "created_at": moment})
            post["helpful_count"] += 1

    def thread(self, index: int, count: int, replies: int, hidden: int) -> None:
        opened = START + (END - START) * (index / count) + timedelta(minutes=self.rng.randint(0, 600))
        opener = self.member(OPENER_ROLES)
        outcome = self.rng.choices(*OUTCOMES)[0]
        thread = {"id": index + 1, "theme_id": self.rng.choice(self.theme_ids), "author_id": opener.id,
                  "title": self.corpus._fill(self.rng.choice(TITLES))[:200], "created_at": opened,
                  "status": Visibility.VISIBLE, "outcome": outcome, "is_pinned": False, "is_locked": False,
                  "is_closed": outcome == Outcome.RESOLVED and self.rng.random() < 0.5, "conclusion_count": 0}
        self.threads.append(thread)
        first = self.post(thread, opener, 1, opened, Visibility.VISIBLE)
        moments = sorted(min(opened + self.rng.random() * REPLY_SPAN, self.now) for _ in range(replies + hidden))
        hidden_at = set(self.rng.sample(range(len(moments)), hidden))
        last = first
        for i, moment in enumerate(moments):
            status = Visibility.HIDDEN if i in hidden_at else Visibility.VISIBLE
            row = self.post(thread, self.member(REPLIER_ROLES), i + 2, moment, status)
            last = row if status == Visibility.VISIBLE else last
        thread.update(post_count=replies + 1, last_position=len(moments) + 1, last_posted_at=last["created_at"])
        if self.rng.random() < CONCLUDED_RATE.get(outcome, 0.8):
            self.conclude(thread)

    def conclude(self, thread: dict) -> None:
        """One to three versions of the まとめ, written after the last post."""
        versions = self.rng.choices([1, 2, 3], weights=[70, 25, 5])[0]
        moment = thread["last_posted_at"]
        for number in range(1, versions + 1):
            moment = min(moment + timedelta(days=self.rng.randint(1, 20)), self.now)
            source = self.rng.choice(CONCLUSION_OPENERS) + "\n\n" + self.corpus._body(self.rng.randint(150, 600))
            self.conclusions.append({"thread_id": thread["id"], "number": number, "body_source": source,
                                     "body_html": paragraphs_html(source),
                                     "author_id": self.rng.choice(self.secretariat).id, "created_at": moment})
        thread["conclusion_count"] = versions


def theme_counters(threads: list[dict]) -> list[dict]:
    """thread_count, post_count (visible posts of visible threads) and last_posted_at of every theme."""
    counters: dict[int, dict] = {}
    for thread in threads:
        theme = counters.setdefault(thread["theme_id"], {"thread_count": 0, "post_count": 0, "last_posted_at": None})
        theme["thread_count"] += 1
        theme["post_count"] += thread["post_count"]
        if theme["last_posted_at"] is None or thread["last_posted_at"] > theme["last_posted_at"]:
            theme["last_posted_at"] = thread["last_posted_at"]
    return [{"id": theme_id, **values} for theme_id, values in counters.items()]


def fill(thread_count: int, post_count: int) -> Board:
    """Insert the whole board in one transaction; returns what was inserted."""
    rng = random.Random(SEED)
    now = datetime.now(timezone.utc)
    members = insert_members(rng, now)
    theme_ids = list(db.session.execute(select(Theme.id).order_by(Theme.position)).scalars())
    generator = Generator(members, theme_ids, now)
    replies = generator.reply_counts(thread_count, max(post_count - thread_count, 0))
    hidden = Counter(rng.choices(range(thread_count), k=post_count // HIDDEN_PER_POSTS))
    for i in range(thread_count):
        generator.thread(i, thread_count, replies[i], hidden.get(i, 0))
    bulk_insert(Thread, generator.threads)
    bulk_insert(Post, generator.posts)
    bulk_insert(PostRevision, generator.revisions)
    bulk_insert(ThreadConclusion, generator.conclusions)
    bulk_insert(HelpfulMark, generator.marks)
    for values in theme_counters(generator.threads):
        db.session.execute(Theme.__table__.update().where(Theme.id == values.pop("id")).values(**values))
    db.session.commit()
    visible = [p for p in generator.posts if p["status"] == Visibility.VISIBLE]
    return Board(
        members=dict(Counter(m.role.value for m in members)), threads=len(generator.threads),
        visible_posts=len(visible), hidden_posts=len(generator.posts) - len(visible),
        conclusions=len(generator.conclusions),
        concluded_threads=sum(1 for t in generator.threads if t["conclusion_count"]),
        key_points=sum(p["is_key_point"] for p in visible), helpful_marks=len(generator.marks),
        characters=sum(len(p["body_source"]) for p in visible), secretariat_id=generator.secretariat[0].id)


def check_counters() -> list[str]:
    """Compare the stored counters with a count of the rows (what the services would have kept)."""
    problems = []
    posts = select(Post.thread_id, func.count(Post.id).label("n"), func.max(Post.created_at).label("last"),
                   func.max(Post.position).label("positions")).group_by(Post.thread_id)
    visible = {row.thread_id: row for row in db.session.execute(posts.where(Post.status == Visibility.VISIBLE))}
    every = {row.thread_id: row for row in db.session.execute(posts)}
    for thread in db.session.execute(select(Thread)).scalars():
        if (thread.post_count, thread.last_posted_at, thread.last_position) != (
                visible[thread.id].n, visible[thread.id].last, every[thread.id].positions):
            problems.append(f"thread {thread.id}")
    helpful = dict(db.session.execute(select(HelpfulMark.post_id, func.count()).group_by(HelpfulMark.post_id)).all())
    wrong = db.session.execute(select(Post.id, Post.helpful_count).where(Post.helpful_count > 0)).all()
    problems += [f"post {pid} helpful" for pid, count in wrong if helpful.get(pid) != count]
    return problems


# --- the measurements -----------------------------------------------------------------------------------------

@dataclass
class Result:
    file_format: str
    wall_s: float = 0.0
    cpu_s: float = 0.0
    size: int = 0
    rss_mib: float = 0.0  # peak RSS during this export (or of the process so far when it cannot be reset)
    rss_before_mib: float = 0.0
    traced_wall_s: float = 0.0
    traced_peak_mib: float = 0.0  # tracemalloc: peak of Python allocations during the export
    check: str = ""


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak_rss() -> bool:
    """Linux ≥ 4.0: writing 5 to clear_refs resets the high-water mark that ru_maxrss reports."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def export_file(app, secretariat_id: int, file_format: str, path: Path) -> int:
    """As `flask export summary` does it: the service's chunks written to a file; returns its size."""
    with app.app_context():
        actor = db.session.get(User, secretariat_id)
        export = export_summary(SummaryFilters(), actor=actor, file_format=file_format, base_url=BASE_URL)
        with open(path, "wb") as output:
            for chunk in export.chunks:
                output.write(chunk)
        db.session.remove()
    return path.stat().st_size


def export_print(app, session_token: str, path: Path) -> int:
    """The print view as the browser gets it: a POST to the export page by a logged-in secretariat member."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_token
        session["_fresh"] = True
    response = client.post("/secretariat/exports", data={"scope": "board", "file_format": "print",
                                                         "unanswered_days": "14"})
    body = response.get_data()
    if response.status_code != 200:
        raise RuntimeError(f"the export page answered {response.status_code}")
    path.write_bytes(body)
    return len(body)


def run_once(app, board: Board, file_format: str, path: Path) -> int:
    if file_format == "print":
        return export_print(app, f"bench-session-{board.secretariat_id}", path)
    return export_file(app, board.secretariat_id, file_format, path)


def measure(app, board: Board, file_format: str, out_dir: Path, can_reset: bool, trace: bool) -> Result:
    result = Result(file_format)
    path = out_dir / f"summary.{'html' if file_format == 'print' else file_format}"
    gc.collect()
    result.rss_before_mib = current_rss_mib()
    if can_reset:
        reset_peak_rss()
    wall, cpu = time.perf_counter(), time.process_time()
    result.size = run_once(app, board, file_format, path)
    result.wall_s, result.cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    result.rss_mib = max_rss_mib()
    result.check = check_output(file_format, path)
    if not trace:
        return result
    gc.collect()
    tracemalloc.start()
    wall = time.perf_counter()
    run_once(app, board, file_format, path)
    result.traced_wall_s = time.perf_counter() - wall
    result.traced_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result


def check_output(file_format: str, path: Path) -> str:
    """What the file holds, read back (a sanity check, not timed)."""
    if file_format == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        sheets = [f"{ws.title} {sum(1 for _ in ws.iter_rows(values_only=True)) - 1:,}" for ws in workbook.worksheets]
        workbook.close()
        return "rows: " + ", ".join(sheets)
    if file_format == "json":
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
        return (f"{len(document['threads']):,} threads, "
                f"{sum(len(t['posts']) for t in document['threads']):,} posts")
    if file_format == "csv":
        with open(path, encoding="utf-8-sig", newline="") as file:
            return f"{sum(1 for _ in csv.reader(file)) - 1:,} thread rows"
    text = path.read_text(encoding="utf-8")
    if file_format == "md":
        return f"{text.count(MD_THREAD):,} ## headings, {len(text):,} characters"
    return f"{text.count(PRINT_THREAD):,} thread articles, {len(text):,} characters"


def print_results(results: list[Result], can_reset: bool) -> None:
    print(f"\n{'format':<8}{'wall s':>8}{'cpu s':>8}{'size MiB':>10}{'RSS MiB':>9}{'(before)':>9}"
          f"{'py peak MiB':>13}{'traced s':>10}  read back")
    for r in results:
        traced = f"{r.traced_peak_mib:>13.1f}{r.traced_wall_s:>10.2f}" if r.traced_wall_s else f"{'-':>13}{'-':>10}"
        print(f"{r.file_format:<8}{r.wall_s:>8.2f}{r.cpu_s:>8.2f}{r.size / 2**20:>10.2f}{r.rss_mib:>9.0f}"
              f"{r.rss_before_mib:>9.0f}{traced}  {r.check}")
    rss = ("peak RSS during that export (high-water mark reset before each)" if can_reset else
           "peak RSS of the process so far (the high-water mark could not be reset)")
    print(f"(RSS MiB: {rss}; (before): RSS when it started; py peak: tracemalloc peak of Python allocations, in a "
          f"second run whose time is 'traced s'; print: the HTML of the export page, rendered whole)")
    xlsx = next((r for r in results if r.file_format == "xlsx"), None)
    if xlsx is not None:
        verdict = "PASS" if xlsx.wall_s <= GOAL_XLSX_S else "MISS"
        print(f"\ngoal: XLSX of the board in seconds, not minutes (≤ {GOAL_XLSX_S:.0f} s): "
              f"{xlsx.wall_s:.1f} s — {verdict}")


def build_app(root: Path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{root}/bench.db", "INSTANCE_PATH": str(root),
                      "SECRET_KEY": "bench-" + "e" * 32, "WTF_CSRF_ENABLED": False,
                      "SEARCH_INDEX_DIR": str(root / "index")})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.engine.dispose()  # no connection crosses the fork in fill_apart
    return app


def fill_apart(app, threads: int, posts: int) -> tuple[Board, float, list[str]]:
    """Fill the database in a forked child, so that the rows generated there never weigh on this process: the
    RSS of each export then starts from what the app itself holds. Returns (board, seconds, counter problems)."""
    receiver, sender = multiprocessing.Pipe(duplex=False)

    def child() -> None:
        with app.app_context():
            start = time.perf_counter()
            board = fill(threads, posts)
            sender.send((board, time.perf_counter() - start, check_counters()))
            db.session.remove()
            db.engine.dispose()

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"filling the database failed (exit code {process.exitcode})")
    return receiver.recv()


def bench(args, root: Path) -> None:
    app = build_app(root)
    board, filled, problems = fill_apart(app, args.threads, args.posts)
    print(f"board: {board.threads:,} threads, {board.visible_posts:,} visible posts "
          f"({board.characters / 1e6:.1f} M characters) and {board.hidden_posts} hidden; "
          f"{board.concluded_threads:,} threads with a conclusion ({board.conclusions:,} versions), "
          f"{board.key_points:,} key points, {board.helpful_marks:,} 「参考になった」 marks; members: "
          + ", ".join(f"{role} {count}" for role, count in board.members.items()))
    size = os.path.getsize(root / "bench.db") / 2**20
    print(f"filled in {filled:.1f} s (in a child process); database {size:.0f} MiB; counters "
          + ("consistent" if not problems else f"WRONG for {len(problems)}: {', '.join(problems[:5])}"))
    can_reset = reset_peak_rss()
    results = []
    for file_format in args.formats:
        result = measure(app, board, file_format, root, can_reset, args.trace)
        print(f"  {file_format}: {result.wall_s:.2f} s")
        results.append(result)
    print_results(results, can_reset)
    print(f"\npeak RSS of this process: {max_rss_mib():.0f} MiB (since the last reset); {os.cpu_count()} CPUs; "
          f"SQLite in {root}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1000, help="threads on the board (default 1000)")
    parser.add_argument("--posts", type=int, default=20_000,
                        help="visible posts, the opening posts included (default 20000)")
    parser.add_argument("--formats", type=lambda s: s.split(","), default=FORMATS,
                        help=f"comma-separated, from {','.join(FORMATS)} (default all)")
    parser.add_argument("--no-trace", dest="trace", action="store_false",
                        help="skip the second, tracemalloc run of each format (it takes two to three times longer)")
    parser.add_argument("--keep", metavar="DIR", help="build the database and write the files in DIR, and keep them")
    args = parser.parse_args(argv)
    print(f"export benchmark: {args.threads:,} threads, {args.posts:,} posts; formats {', '.join(args.formats)}; "
          f"seed {SEED}")
    if args.keep:
        root = Path(args.keep).resolve()
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        bench(args, root)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
            bench(args, Path(tmp))


if __name__ == "__main__":
    main()
