"""Discussion summaries for the secretariat: the builder's facts and filters, the XLSX/CSV/Markdown/JSON/print
files (hidden content never in them, names gone when anonymised), who may export, the audit entry and the CLI."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, update

from educussion.auditlog.labels import summary_text
from educussion.errors import InvalidInput, PermissionDenied
from educussion.export import formats, services
from educussion.export.summary import SummaryFilters, build
from educussion.extensions import db
from educussion.models import (AuditAction, AuditEntry, Organisation, Outcome, Post, Role, Theme, Thread, User,
                               utcnow)
from educussion.moderation import services as moderation
from educussion.summaries import services as summaries

from .factories import make_post, make_thread, make_user

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UTC = timezone.utc
JST = ZoneInfo("Asia/Tokyo")
BASE = "https://board.example.jp"
URL = "/secretariat/exports"
FORMATS = ("xlsx", "csv", "md", "json", "print")
NAMES = ("札幌 太郎", "多久 次郎", "企業 花子", "学識 三郎", "職員 五郎", "事務局 四郎")
HIDDEN = ("社外秘の見積", "非公開スレッドの題名", "非公開の本文", "隠しスレッドへの返信", "秘密 企業")
FORMULA = '=HYPERLINK("http://evil.example","詳細")'


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST).astimezone(UTC)


@dataclass
class Board:
    """Ids of what the `board` fixture made (rows are re-read in each test's session)."""

    sapporo: int
    taku: int
    company: int
    academic: int
    staff: int
    secretariat: int
    hidden_company: int
    a: int  # 2025-03-31 23:30 JST (令和6年度), answered, resolved, two conclusion versions
    a_company: int
    a_academic: int
    a_mayor: int
    a_hidden: int
    b: int  # 2019-05-01 09:00 JST (令和元年5月1日), no company/academic reply
    c: int  # hidden thread
    d: int  # 2025-04-01 00:00 JST (令和7年度), opened by municipal staff, continued

    def user(self, name: str) -> User:
        return db.session.get(User, getattr(self, name))


def _stamp(model, id_: int, moment: datetime, **more) -> None:
    db.session.execute(update(model).where(model.id == id_).values(created_at=moment, **more))


def _stamp_thread(thread_id: int, opened: datetime, last: datetime) -> None:
    _stamp(Thread, thread_id, opened, last_posted_at=last)
    db.session.execute(update(Post).where(Post.thread_id == thread_id, Post.position == 1).values(created_at=opened))


@pytest.fixture(autouse=True)
def _no_search_index(app):
    app.config["SEARCH_DRAIN"] = "worker"  # nothing here searches; the outbox keeps the work


@pytest.fixture
def board(app) -> Board:
    sapporo = make_user(Role.MAYOR, organisation="札幌市", name="札幌 太郎", title="市長")
    official = db.session.execute(select(Organisation).filter_by(municipality_code="011002")).scalar_one()
    assert sapporo.organisation_id == official.id and official.prefecture == "北海道"
    taku = make_user(Role.MAYOR, organisation="多久市", name="多久 次郎", title="市長")
    company = make_user(Role.COMPANY, name="企業 花子")
    company.organisation.corporate_number = "7010001008844"
    academic = make_user(Role.ACADEMIC, name="学識 三郎")
    staff = make_user(Role.MUNICIPAL_STAFF, name="職員 五郎")
    secretariat = make_user(Role.SECRETARIAT, name="事務局 四郎")
    hidden_company = make_user(Role.COMPANY, organisation="秘密商事株式会社", name="秘密 企業")
    db.session.commit()

    a = make_thread(author=sapporo, title="端末更新の費用負担", body="端末更新の費用をどう賄っていますか。")
    a_company = make_post(a, author=company, body="クラウド型なら初期費用を抑えられます。")
    a_academic = make_post(a, author=academic, body=FORMULA + " 研究では効果が示されています。")
    a_mayor = make_post(a, author=taku, body="多久市でも同じ課題があります。")
    a_hidden = make_post(a, author=hidden_company, body="社外秘の見積は 090-1111-2222 までお問い合わせください。")
    b = make_thread(author=taku, theme_slug="teacher-training", title="令和最初の日の相談", body="研修の時間が足りません。")
    b_reply = make_post(b, author=sapporo, body="札幌市でも工夫しています。")
    b_hidden = make_post(b, author=hidden_company, body="社外秘の見積をお送りします。")
    c = make_thread(author=sapporo, title="非公開スレッドの題名", body="非公開の本文です。")
    make_post(c, author=academic, body="隠しスレッドへの返信です。")
    d = make_thread(author=staff, title="新年度の計画", body="新年度の端末計画を共有します。")
    d_reply = make_post(d, author=academic, body="計画の評価方法を提案します。")

    summaries.save_summary(a, actor=secretariat, outcome="resolved", conclusion="初版のまとめ")
    summaries.save_summary(a, actor=secretariat, outcome="resolved", conclusion="国の補助金を活用する方向で合意。")
    summaries.save_summary(d, actor=secretariat, outcome="continued", conclusion="-5%の削減を目標とする。")
    for post in (a_company, a_hidden):
        summaries.set_key_point(post, actor=secretariat, on=True)
    for marker in (sapporo, taku, academic):
        summaries.mark_helpful(a_company, actor=marker)
    summaries.mark_helpful(a_academic, actor=sapporo)
    for marker in (sapporo, taku, academic, staff):
        summaries.mark_helpful(a_hidden, actor=marker)
    for post in (a_hidden, b_hidden):
        moderation.hide_post(post, actor=secretariat, reason="見積の価格が含まれているため")
    moderation.hide_thread(c, actor=secretariat, reason="試験投稿のため")

    opened = jst(2025, 3, 31, 23, 30)
    _stamp_thread(a.id, opened, opened + timedelta(days=4))
    for post, after in ((a_company, timedelta(hours=2, minutes=15)), (a_academic, timedelta(days=3)),
                        (a_mayor, timedelta(days=4)), (a_hidden, timedelta(hours=1))):
        _stamp(Post, post.id, opened + after)
    _stamp_thread(b.id, jst(2019, 5, 1, 9, 0), jst(2019, 5, 2, 9, 0))
    _stamp(Post, b_reply.id, jst(2019, 5, 2, 9, 0))
    _stamp(Post, b_hidden.id, jst(2019, 5, 1, 10, 0))
    _stamp_thread(c.id, jst(2025, 3, 31, 12, 0), jst(2025, 3, 31, 12, 0))
    _stamp_thread(d.id, jst(2025, 4, 1, 0, 0), jst(2025, 4, 1, 1, 0))
    _stamp(Post, d_reply.id, jst(2025, 4, 1, 1, 0))
    db.session.commit()
    db.session.expire_all()
    return Board(sapporo.id, taku.id, company.id, academic.id, staff.id, secretariat.id, hidden_company.id,
                 a.id, a_company.id, a_academic.id, a_mayor.id, a_hidden.id, b.id, c.id, d.id)


def _build(**filters):
    return build(SummaryFilters(**filters), BASE)


def _titles(summary) -> list[str]:
    return [thread.title for thread in summary.threads()]


def _export(actor: User, file_format: str, **filters) -> bytes:
    export = services.export_summary(SummaryFilters(**filters), actor=actor, file_format=file_format, base_url=BASE)
    return b"".join(export.chunks)


def _audit_exports() -> list[AuditEntry]:
    query = select(AuditEntry).filter_by(action=AuditAction.SUMMARY_EXPORTED).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


def _records(sheet) -> list[dict]:
    """Each data row as {header: cell}."""
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    return [dict(zip(headers, row)) for row in rows[1:]]


def _overview_tables(sheet) -> tuple[dict, dict]:
    """The 概要 sheet as its figures {item: value cell} and its tables {heading: {label: value cell}}: a table
    starts after an empty row with a bold heading row."""
    rows = [row for row in sheet.iter_rows()][1:]
    figures, tables, current = {}, {}, None
    for row in rows:
        if not row or row[0].value is None:
            current = None
            continue
        if current is None and row[0].font.b and tables is not None and figures:
            current = tables.setdefault(row[0].value, {})
            continue
        (figures if current is None else current)[row[0].value] = row[1]
    return figures, tables


def _xlsx_text(data: bytes) -> str:
    workbook = load_workbook(io.BytesIO(data))
    return "\n".join(str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


def _download(client, **fields) -> str:
    """Every format through the export page, as text."""
    response = client.post(URL, data=fields)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    if fields["file_format"] == "xlsx":
        return _xlsx_text(response.data)
    return response.data.decode("utf-8-sig")


# ------------------------------------------------------------------ overview and per-thread facts

def test_overview_counts_only_visible_threads_and_posts(board):
    summary = _build()
    overview = summary.overview
    assert _titles(summary) == ["令和最初の日の相談", "端末更新の費用負担", "新年度の計画"]  # oldest first, not C
    assert (overview.thread_count, overview.post_count) == (3, 8)  # A 1+3, B 1+1, D 1+1: no hidden post
    # The hidden posts' author and the hidden thread's are not counted as taking part.
    assert overview.participants_by_role == [
        (Role.MAYOR, 2), (Role.MUNICIPAL_STAFF, 1), (Role.COMPANY, 1), (Role.ACADEMIC, 1), (Role.SECRETARIAT, 0)]
    assert overview.participants_by_prefecture == [("―", 3), ("佐賀県", 1), ("北海道", 1)]
    assert overview.threads_per_theme == [("効率的な環境整備", 2), ("教員の指導力向上・研修", 1)]
    # B's only company post is hidden: it still waits for an answer; A and D were answered.
    [unanswered] = overview.unanswered
    assert (unanswered.id, unanswered.title, unanswered.url) == (board.b, "令和最初の日の相談", f"{BASE}/threads/{board.b}")
    age = (utcnow() - jst(2019, 5, 1, 9, 0)).days
    assert unanswered.days == age
    assert [u.id for u in _build(unanswered_days=age - 1).overview.unanswered] == [board.b]
    assert _build(unanswered_days=age + 1).overview.unanswered == []


def test_thread_facts(board):
    board.user("sapporo").title = "前市長"  # after an election: the export keeps what was true when he wrote
    db.session.commit()
    entry = next(t for t in _build().threads() if t.id == board.a)
    opener = entry.opener
    assert (opener.name, opener.role, opener.organisation, opener.title, opener.prefecture) == (
        "札幌 太郎", Role.MAYOR, "札幌市", "市長", "北海道")
    assert opener.municipality_code == "011002" and opener.display == "札幌 太郎（札幌市長・首長）"
    assert entry.outcome == Outcome.RESOLVED and entry.theme == "効率的な環境整備"
    assert entry.replies_by_role == {Role.MAYOR: 1, Role.MUNICIPAL_STAFF: 0, Role.COMPANY: 1, Role.ACADEMIC: 1,
                                     Role.SECRETARIAT: 0}
    assert entry.reply_count == 3
    # The hidden company post (after 1 hour) does not count: the first visible one came after 2 h 15 min.
    assert entry.first_company_reply == timedelta(hours=2, minutes=15)
    assert entry.first_academic_reply == timedelta(days=3)
    assert (entry.conclusion.version, entry.conclusion.text, entry.conclusion.author) == (
        2, "国の補助金を活用する方向で合意。", "事務局 四郎")
    assert [p.id for p in entry.posts[1:]] == [board.a_company, board.a_academic, board.a_mayor]
    assert [p.id for p in entry.key_points] == [board.a_company]  # the hidden key point is gone
    helpful = entry.most_helpful  # the hidden post had the most marks
    assert [(p.id, p.helpful_count) for p in helpful] == [(board.a_company, 3), (board.a_academic, 1)]
    assert helpful[0].author.display == "企業 花子（テスト教育システム株式会社 営業部長・企業）"
    assert helpful[0].author.corporate_number == "7010001008844"
    assert helpful[0].url == f"{BASE}/posts/{board.a_company}"
    assert helpful[0].created_at == jst(2025, 4, 1, 1, 45)
    d = next(t for t in _build().threads() if t.id == board.d)
    assert d.first_company_reply is None and d.first_academic_reply == timedelta(hours=1)
    assert d.opener.role == Role.MUNICIPAL_STAFF and d.opener.municipality_code is None


# ------------------------------------------------------------------ filters

FILTER_CASES = [
    ({"fiscal_year": 2024}, ["端末更新の費用負担"]),  # 2025-03-31 is in 令和6年度
    ({"fiscal_year": 2025}, ["新年度の計画"]),
    ({"fiscal_year": 2019}, ["令和最初の日の相談"]),
    ({"fiscal_year": 2018}, []),
    # Japan days: D opened at 2025-03-31 15:00 UTC, which is already April 1 in Tokyo.
    ({"start": date(2025, 3, 31), "end": date(2025, 3, 31)}, ["端末更新の費用負担"]),
    ({"start": date(2025, 4, 1)}, ["新年度の計画"]),
    ({"end": date(2025, 3, 30)}, ["令和最初の日の相談"]),
    ({"fiscal_year": 2024, "start": date(2025, 4, 1)}, ["端末更新の費用負担"]),  # the fiscal year wins
    ({"scope": "theme", "theme_slug": "infrastructure"}, ["端末更新の費用負担", "新年度の計画"]),
    ({"scope": "theme", "theme_slug": "teacher-training"}, ["令和最初の日の相談"]),
    ({"outcomes": ("resolved", "continued")}, ["端末更新の費用負担", "新年度の計画"]),
    ({"outcomes": ("under_discussion",)}, ["令和最初の日の相談"]),
    ({"opener_role": "mayor"}, ["令和最初の日の相談", "端末更新の費用負担"]),
    ({"opener_role": "municipal_staff"}, ["新年度の計画"]),
    ({"opener_prefecture": "北海道"}, ["端末更新の費用負担"]),
    ({"opener_prefecture": "佐賀県", "fiscal_year": 2024}, []),
]


def test_filters(board):
    for filters, titles in FILTER_CASES:
        summary = _build(**filters)
        assert (_titles(summary), summary.overview.thread_count) == (titles, len(titles)), filters
    one = _build(scope="thread", thread_id=board.a)
    assert _titles(one) == ["端末更新の費用負担"] and one.scope_label == "端末更新の費用負担"
    assert one.overview.post_count == 4
    hidden = _build(scope="thread", thread_id=board.c)
    assert _titles(hidden) == [] and hidden.overview.post_count == 0
    assert hidden.scope_label == ""  # not even the hidden thread's title


def test_wrong_filters_are_refused_not_exported_empty(app):
    secretariat = make_user(Role.SECRETARIAT)
    for filters, field in [
        ({"scope": "everything"}, "scope"),
        ({"scope": "theme", "theme_slug": "no-such-theme"}, "theme"),
        ({"scope": "theme"}, "theme"),
        ({"outcomes": ("resolved", "bogus")}, "outcomes"),
        ({"opener_role": "king"}, "opener_role"),
        ({"start": date(2025, 4, 2), "end": date(2025, 4, 1)}, "end"),
    ]:
        with pytest.raises(InvalidInput) as error:
            _export(secretariat, "json", **filters)
        assert error.value.field == field, filters
    with pytest.raises(InvalidInput) as error:
        _export(secretariat, "pdf")
    assert error.value.field == "file_format"
    assert _audit_exports() == []


# ------------------------------------------------------------------ XLSX

def test_xlsx_cells_and_types(board):
    workbook = load_workbook(io.BytesIO(_export(board.user("secretariat"), "xlsx")))
    assert workbook.sheetnames == ["概要", "スレッド", "投稿"]
    assert all(sheet.freeze_panes == "A2" for sheet in workbook)

    overview, tables = _overview_tables(workbook["概要"])
    assert overview["対象"].value == "掲示板全体" and overview["期間"].value == "全期間"
    made = overview["作成日時"]
    assert isinstance(made.value, datetime) and made.is_date and made.value.microsecond == 0
    assert overview["スレッド"].value == 3 and overview["投稿"].value == 8
    assert overview["スレッド"].data_type == "n" and overview["投稿"].data_type == "n"
    # Participants by role and by prefecture are two tables of numbers, under headings of their own.
    by_role, by_prefecture = tables["区分別の参加者"], tables["都道府県別の参加者"]
    assert by_role["首長"].value == 2 and by_role["首長"].data_type == "n" and by_role["事務局"].value == 0
    assert by_prefecture["北海道"].value == 1 and by_prefecture["都道府県なし（企業・大学など）"].value == 3
    assert not any("―" in name for name in by_prefecture)
    assert tables["テーマ別のスレッド数"]["効率的な環境整備"].value == 2
    assert len(tables["14日以上、企業・学識経験者の返信がないスレッド"]) == 1

    threads = _records(workbook["スレッド"])
    assert [row["スレッド番号"].value for row in threads] == [board.b, board.a, board.d]
    b, a, d = threads
    assert a["タイトル"].value == "端末更新の費用負担" and a["作成者"].value == "札幌 太郎"
    code = a["団体コード"]
    assert code.value == "011002" and isinstance(code.value, str) and code.data_type == "s"
    assert code.number_format == "@"
    assert a["法人番号"].value is None and a["都道府県"].value == "北海道"
    opened = a["作成日"]
    assert opened.is_date and isinstance(opened.value, datetime) and opened.value == datetime(2025, 3, 31)
    assert a["作成日（和暦）"].value == "令和7年3月31日" and a["年度"].value == "令和6年度"
    assert b["作成日（和暦）"].value == "令和元年5月1日" and b["年度"].value == "令和元年度"
    assert d["作成日"].value == datetime(2025, 4, 1) and d["年度"].value == "令和7年度"
    assert a["結果"].value == "解決済み" and d["結果"].value == "継続審議" and b["結果"].value == "検討中"
    assert a["返信"].value == 3 and isinstance(a["返信"].value, int)
    assert (a["首長の返信"].value, a["企業の返信"].value, a["学識経験者の返信"].value, a["事務局の返信"].value) == (
        1, 1, 1, 0)
    assert a["企業の初回返信まで"].value == "2時間" and a["学識経験者の初回返信まで"].value == "3日"
    assert b["企業の初回返信まで"].value == "―"
    assert a["まとめ"].value == "国の補助金を活用する方向で合意。" and a["論点"].value == 1
    assert d["まとめ"].value == "'-5%の削減を目標とする。"  # would be a formula in Excel
    last = a["最終更新"]
    assert last.is_date and last.value == datetime(2025, 4, 4, 23, 30)  # Japan time, no time zone
    assert a["URL"].value == f"{BASE}/threads/{board.a}"

    posts = _records(workbook["投稿"])
    assert [row["投稿番号"].value for row in posts] == [1, 2, 1, 2, 3, 4, 1, 2]  # B, A, D: no hidden post
    by_url = {row["URL"].value: row for row in posts}
    company = by_url[f"{BASE}/posts/{board.a_company}"]
    assert company["投稿者"].value == "企業 花子" and company["区分"].value == "企業"
    assert company["法人番号"].value == "7010001008844" and company["法人番号"].data_type == "s"
    assert company["投稿日時"].is_date and company["投稿日時"].value == datetime(2025, 4, 1, 1, 45)
    assert company["論点"].value == "○" and company["参考になった"].value == 3
    academic = by_url[f"{BASE}/posts/{board.a_academic}"]
    assert academic["本文"].value == "'" + FORMULA + " 研究では効果が示されています。"
    assert academic["本文"].data_type == "s" and academic["論点"].value is None
    assert by_url[f"{BASE}/posts/{board.a_mayor}"]["参考になった"].value == 0


# ------------------------------------------------------------------ CSV

def test_csv_is_utf8_with_bom_and_crlf_for_excel(board):
    data = _export(board.user("secretariat"), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    assert header[:3] == ["スレッド番号", "タイトル", "テーマ"] and len(rows) == 1 + 3
    b, a, d = (dict(zip(header, row)) for row in rows[1:])
    assert a["スレッド番号"] == str(board.a) and a["団体コード"] == "011002"
    assert a["作成日"] == "2025-03-31" and a["年度"] == "令和6年度" and a["最終更新"] == "2025-04-04 23:30:00"
    assert b["作成日（和暦）"] == "令和元年5月1日" and d["年度"] == "令和7年度"
    assert d["まとめ"] == "'-5%の削減を目標とする。"  # neutralised: Excel would evaluate -5%…
    assert a["まとめ"] == "国の補助金を活用する方向で合意。"


# ------------------------------------------------------------------ Markdown and JSON

def test_markdown(board):
    secretariat = board.user("secretariat")
    text = _export(secretariat, "md").decode("utf-8")
    assert text.startswith("# 議論のまとめ\n\n- 対象: 掲示板全体\n- 期間: 全期間\n")
    assert "- スレッド: 3\n- 投稿: 8\n" in text
    assert "## 参加者\n\n- 首長: 2\n- 自治体職員: 1\n- 企業: 1\n- 学識経験者: 1\n- 事務局: 0\n" in text
    assert "## 都道府県別の参加者\n\n- 都道府県なし（企業・大学など）: 3\n- 佐賀県: 1\n- 北海道: 1\n" in text
    assert "## テーマ別のスレッド数\n\n- 効率的な環境整備: 2\n- 教員の指導力向上・研修: 1\n" in text
    assert f"- [令和最初の日の相談]({BASE}/threads/{board.b}) — 教員の指導力向上・研修" in text
    section = text[text.index("## 端末更新の費用負担"):text.index("## 新年度の計画")]
    assert "- 作成者: 札幌 太郎（札幌市長・首長）\n" in section
    assert "- 作成日: 2025年3月31日（令和7年3月31日、令和6年度）\n" in section
    assert "- 結果: 解決済み\n" in section
    assert "- 返信: 3（首長 1、自治体職員 0、企業 1、学識経験者 1、事務局 0）\n" in section
    assert "- 企業の初回返信まで: 2時間\n- 学識経験者の初回返信まで: 3日\n" in section
    assert "### まとめ\n\n国の補助金を活用する方向で合意。\n" in section and "初版のまとめ" not in text
    citation = (f"> クラウド型なら初期費用を抑えられます。\n>\n> — 企業 花子（テスト教育システム株式会社 営業部長・企業）、"
                f"2025年4月1日 <{BASE}/posts/{board.a_company}>")
    key_points = section[section.index("### 論点"):section.index("### 「参考になった」の多い投稿")]
    assert citation in key_points and "研究では" not in key_points
    helpful = section[section.index("### 「参考になった」の多い投稿"):]
    assert helpful.index("クラウド型") < helpful.index("研究では効果が示されています。")
    assert "令和元年5月1日" in text and "令和7年4月1日、令和7年度" in text

    # Text from the board is text in the Markdown too: no live HTML, no links that were not links.
    summaries.save_summary(db.session.get(Thread, board.a), actor=secretariat, outcome="resolved",
                           conclusion="`<img src=x onerror=alert(1)>` と **[リンク](javascript:alert(1))**")
    text = _export(secretariat, "md", scope="thread", thread_id=board.a).decode("utf-8")
    conclusion = text[text.index("### まとめ"):text.index("### 論点")]
    assert "<img" not in conclusion and "&lt;img src=x onerror=alert(1)&gt;" in conclusion
    assert "\\[リンク\\](javascript" in conclusion


def test_json(board):
    document = json.loads(_export(board.user("secretariat"), "json"))
    assert document["format"] == "educussion-summary" and document["format_version"] == 1
    assert datetime.fromisoformat(document["generated_at"]).tzinfo is not None
    assert document["filters"] == "scope=board"
    overview = document["overview"]
    assert (overview["threads"], overview["posts"]) == (3, 8)
    assert overview["participants_by_role"] == {"mayor": 2, "municipal_staff": 1, "company": 1, "academic": 1,
                                                "secretariat": 0}
    assert overview["participants_by_prefecture"] == {"―": 3, "佐賀県": 1, "北海道": 1}
    assert overview["threads_per_theme"] == {"効率的な環境整備": 2, "教員の指導力向上・研修": 1}
    assert [u["id"] for u in overview["unanswered"]] == [board.b]
    assert [t["id"] for t in document["threads"]] == [board.b, board.a, board.d]
    b, a, d = document["threads"]
    assert a["created_wareki"] == "令和7年3月31日" and a["fiscal_year"] == 2024
    assert b["created_wareki"] == "令和元年5月1日" and b["fiscal_year"] == 2019 and d["fiscal_year"] == 2025
    assert datetime.fromisoformat(a["created_at"]) == jst(2025, 3, 31, 23, 30)
    assert a["outcome"] == "resolved" and a["url"] == f"{BASE}/threads/{board.a}"
    assert a["opened_by"] == {"name": "札幌 太郎", "role": "mayor", "organisation": "札幌市", "title": "市長",
                              "prefecture": "北海道", "municipality_code": "011002", "corporate_number": None}
    assert a["replies_by_role"] == {"mayor": 1, "municipal_staff": 0, "company": 1, "academic": 1, "secretariat": 0}
    assert a["first_company_reply_seconds"] == 2 * 3600 + 15 * 60
    assert a["first_academic_reply_seconds"] == 3 * 86400 and b["first_company_reply_seconds"] is None
    assert a["conclusion"]["version"] == 2 and a["conclusion"]["text"] == "国の補助金を活用する方向で合意。"
    assert a["conclusion"]["author"] == "事務局 四郎" and b["conclusion"] is None
    assert a["key_point_ids"] == [board.a_company]
    assert [p["position"] for p in a["posts"]] == [1, 2, 3, 4]
    company = a["posts"][1]
    assert company["id"] == board.a_company and company["helpful"] == 3 and company["key_point"] is True
    assert company["author"]["corporate_number"] == "7010001008844"
    assert company["url"] == f"{BASE}/posts/{board.a_company}"
    assert a["posts"][2]["text"] == FORMULA + " 研究では効果が示されています。"  # JSON is data: kept as written


# ------------------------------------------------------------------ hidden content and anonymising, every format

def test_hidden_content_is_in_no_format(board, client, login_as):
    login_as(board.user("secretariat"))
    for file_format in FORMATS:
        text = _download(client, scope="board", file_format=file_format)
        assert "端末更新の費用負担" in text, file_format  # the file is not simply empty
        if file_format != "csv":  # the CSV holds threads only
            assert "クラウド型なら初期費用を抑えられます" in text, file_format
        refused = client.post(URL, data={"scope": "thread", "thread_id": str(board.c), "file_format": file_format})
        assert refused.status_code == 400 and "Content-Disposition" not in refused.headers
        for secret in HIDDEN:
            assert secret not in text and secret not in refused.get_data(as_text=True), (file_format, secret)


def test_anonymised_exports_name_nobody(board, client, login_as):
    login_as(board.user("secretariat"))
    for file_format in FORMATS:
        assert "札幌 太郎" in _download(client, file_format=file_format), file_format
        text = _download(client, file_format=file_format, anonymise="y")
        for name in NAMES:
            assert name not in text, (file_format, name)
        assert "札幌市" in text, file_format  # organisations stay
    assert _audit_exports()[-1].params["filters"] == {"scope": "board", "anonymise": True}
    entry = next(t for t in _build(anonymise=True).threads() if t.id == board.a)
    assert entry.opener.display == "札幌市（首長）" and entry.opener.title == "" and entry.opener.name is None
    assert entry.conclusion.author == "事務局"


# ------------------------------------------------------------------ who may export, and the audit log

def test_only_the_secretariat_may_export(app, client, login_as):
    make_thread()
    members = [make_user(role) for role in (Role.MAYOR, Role.MUNICIPAL_STAFF, Role.COMPANY, Role.ACADEMIC)]
    unverified = make_user(Role.SECRETARIAT, verified=False)
    suspended = make_user(Role.SECRETARIAT, suspended_at=utcnow())
    for member in [*members, unverified, suspended]:
        with pytest.raises(PermissionDenied):
            services.export_summary(SummaryFilters(), actor=member, file_format="json", base_url=BASE)
        login_as(member)
        assert client.get(URL).status_code == 403, member.role
        assert client.post(URL, data={"file_format": "csv"}).status_code == 403, member.role
    client.post("/logout")
    response = client.post(URL, data={"file_format": "csv"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _audit_exports() == []
    login_as(make_user(Role.SECRETARIAT))
    assert client.get(URL).status_code == 200
    assert client.post(URL, data={"file_format": "csv"}).status_code == 200


def test_every_export_writes_exactly_one_audit_entry(app, client, login_as):
    secretariat = login_as(make_user(Role.SECRETARIAT))
    make_thread(title="監査のためのスレッド")
    for count, file_format in enumerate(FORMATS, start=1):
        response = client.post(URL, data={"file_format": file_format, "opener_role": "mayor"})
        assert response.status_code == 200 and response.data  # the whole file downloaded
        response.close()
        entries = _audit_exports()
        assert len(entries) == count
        assert entries[-1].actor_id == secretariat.id and entries[-1].target_type == "summary"
        assert entries[-1].params == {"format": file_format, "threads": 1, "command_line": False,
                                      "filters": {"scope": "board", "opener_role": "mayor"}}
        assert summary_text(entries[-1]) == f"{file_format.upper()}、スレッド1件 — 対象: 掲示板全体 / 作成者の区分: 首長"


def test_an_export_that_fails_or_is_abandoned_is_not_audited(app, client, login_as, monkeypatch):
    """Streamed formats are audited once the last chunk was handed to the server: a writer that fails half-way,
    or a download the browser gives up before it was sent, writes no entry."""
    login_as(make_user(Role.SECRETARIAT))
    make_thread(title="途中で止まるエクスポート")
    response = client.post(URL, data={"file_format": "csv"})
    assert response.status_code == 200
    response.close()  # the browser went away before reading anything
    assert _audit_exports() == []

    monkeypatch.setattr(formats, "json_chunks", _failing_writer)
    with pytest.raises(OSError):
        client.post(URL, data={"file_format": "json"}).get_data()
    assert _audit_exports() == []


def _failing_writer(summary):
    yield '{"format": "educussion-summary", "threads": ['
    raise OSError("no space left on device")


# ------------------------------------------------------------------ the export page

def test_export_page(app, client, login_as):
    login_as(make_user(Role.SECRETARIAT))
    make_thread(theme_slug="infrastructure", title="環境整備のスレッド")
    make_thread(theme_slug="teacher-training", title="研修のスレッド")
    page = client.get(URL).get_data(as_text=True)
    assert 'method="post"' in page
    for name in ("scope", "theme", "thread_id", "fiscal_year", "start", "end", "outcomes", "opener_role",
                 "opener_prefecture", "unanswered_days", "anonymise", "file_format"):
        assert f'name="{name}"' in page, name
    for file_format, mimetype in (("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                                  ("csv", "text/csv"), ("md", "text/markdown"), ("json", "application/json")):
        before = utcnow().astimezone(JST).strftime("%Y%m%d-%H%M")
        response = client.post(URL, data={"scope": "theme", "theme": "infrastructure", "file_format": file_format})
        after = utcnow().astimezone(JST).strftime("%Y%m%d-%H%M")
        assert response.status_code == 200 and response.is_streamed and response.mimetype == mimetype
        disposition = re.fullmatch(rf'attachment; filename="summary-(\d{{8}}-\d{{4}})\.{file_format}"',
                                   response.headers["Content-Disposition"])
        assert disposition and disposition.group(1) in (before, after)  # Japan time, as on the screen
        assert response.headers["Cache-Control"] == "no-store"
        text = _xlsx_text(response.data) if file_format == "xlsx" else response.data.decode("utf-8-sig")
        assert "環境整備のスレッド" in text and "研修のスレッド" not in text, file_format


def test_print_view(board, client, login_as):
    login_as(board.user("secretariat"))
    response = client.post(URL, data={"scope": "thread", "thread_id": str(board.a), "file_format": "print"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    page = response.get_data(as_text=True)
    assert "<h2>端末更新の費用負担</h2>" in page and "国の補助金を活用する方向で合意。" in page
    assert "令和7年3月31日・令和6年度" in page and "企業 花子（テスト教育システム株式会社 営業部長・企業）" in page
    assert f"http://localhost/posts/{board.a_company}" in page  # the request's host


BAD_INPUT = [
    ({"scope": "thread"}, "thread_id", "スレッド番号を入力してください。"),
    ({"scope": "thread", "thread_id": "abc"}, "thread_id", None),
    ({"fiscal_year": "1999"}, "fiscal_year", None),
    ({"start": "2025-13-01"}, "start", None),
    ({"start": "2025-04-02", "end": "2025-04-01"}, "end", "開始日以降の日付を選んでください。"),
    ({"unanswered_days": "-1"}, "unanswered_days", None),
    ({"file_format": "pdf"}, "file_format", "形式を選んでください。"),
    ({"scope": "theme", "theme": "no-such-theme"}, "theme", "テーマを選んでください。"),
    ({"opener_role": "king"}, "opener_role", "区分を選択してください。"),
    ({"scope": "thread", "thread_id": "999999"}, "thread_id", "999999番のスレッドはありません。"),
]


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_thread_that_does_not_exist_or_is_not_public_is_refused(board, client, login_as, file_format):
    """No empty file and no 'successful export' in the audit log: a message beside the thread number."""
    login_as(board.user("secretariat"))
    for thread_id, message in ((999999, "999999番のスレッドはありません。"),
                               (board.c, f"{board.c}番のスレッドは公開されていないため、議論のまとめには含まれません。")):
        response = client.post(URL, data={"scope": "thread", "thread_id": str(thread_id), "file_format": file_format})
        assert response.status_code == 400 and "Content-Disposition" not in response.headers
        page = response.get_data(as_text=True)
        error = re.search(r'<p class="field__error" id="thread_id-error">(.*?)</p>', page, re.S)
        assert error is not None and message in error.group(1), page[:300]
        assert f'value="{thread_id}"' in page  # the number typed stays in the field
    with pytest.raises(InvalidInput) as error:
        _export(board.user("secretariat"), file_format, scope="thread", thread_id=999999)
    assert error.value.field == "thread_id"
    assert _audit_exports() == []


def test_bad_input_is_shown_beside_the_field(app, client, login_as):
    login_as(make_user(Role.SECRETARIAT))
    for fields, field, message in BAD_INPUT:
        response = client.post(URL, data={"file_format": "csv", **fields})
        assert response.status_code == 400, fields
        page = response.get_data(as_text=True)
        error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', page, re.S)
        assert error is not None, fields
        assert message is None or message in error.group(1), (fields, error.group(1))
    # Radio buttons and check boxes sent with values the form never offered.
    for fields in ({"scope": "everything"}, {"outcomes": "bogus"}):
        response = client.post(URL, data={"file_format": "json", **fields})
        assert response.status_code == 400 and "Content-Disposition" not in response.headers, fields
    assert _audit_exports() == []


# ------------------------------------------------------------------ the command line

def test_cli_writes_the_file_and_one_audit_entry(board, runner, tmp_path, app):
    output = tmp_path / "summary.json"
    result = runner.invoke(args=["export", "summary", "--format", "json", "--year", "2024", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "1 threads, 4 posts" in result.output
    document = json.loads(output.read_text(encoding="utf-8"))
    assert [t["title"] for t in document["threads"]] == ["端末更新の費用負担"]
    assert document["threads"][0]["url"] == f"{app.config['BASE_URL']}/threads/{board.a}"
    [entry] = _audit_exports()
    assert entry.actor_id is None and entry.params["command_line"] is True
    assert summary_text(entry).endswith("（コマンドライン）")

    workbook_path = tmp_path / "summary.xlsx"
    result = runner.invoke(args=["export", "summary", "--theme", "infrastructure", "--anonymise",
                                 "-o", str(workbook_path)])
    assert result.exit_code == 0, result.output
    text = _xlsx_text(workbook_path.read_bytes())
    assert "新年度の計画" in text and "令和最初の日の相談" not in text and "札幌 太郎" not in text
    assert len(_audit_exports()) == 2

    refused = tmp_path / "refused.xlsx"
    result = runner.invoke(args=["export", "summary", "--theme", "no-such-theme", "-o", str(refused)])
    assert result.exit_code != 0 and not refused.exists()
    assert len(_audit_exports()) == 2


def test_a_failing_cli_export_keeps_the_previous_file_and_is_not_audited(board, runner, tmp_path, monkeypatch):
    folder = tmp_path / "exports"
    folder.mkdir()
    output = folder / "summary.json"
    result = runner.invoke(args=["export", "summary", "--format", "json", "-o", str(output)])
    assert result.exit_code == 0, result.output
    good = output.read_bytes()
    assert json.loads(good)["threads"] and len(_audit_exports()) == 1

    monkeypatch.setattr(formats, "json_chunks", _failing_writer)
    result = runner.invoke(args=["export", "summary", "--format", "json", "-o", str(output)])
    assert result.exit_code != 0 and isinstance(result.exception, OSError)
    assert output.read_bytes() == good
    assert [path.name for path in folder.iterdir()] == ["summary.json"]  # no temporary file left behind
    assert len(_audit_exports()) == 1

    fresh = folder / "first.json"  # no previous file: none is created
    result = runner.invoke(args=["export", "summary", "--format", "json", "-o", str(fresh)])
    assert result.exit_code != 0 and not fresh.exists() and len(_audit_exports()) == 1


def _bulk_board(threads: int, replies: int) -> None:
    """A large board inserted directly (the services would take minutes)."""
    author = make_user(Role.MAYOR, name="大量 太郎")
    theme_id = db.session.execute(select(Theme.id).filter_by(slug="infrastructure")).scalar_one()
    now = utcnow()
    body = "端末更新の費用負担について、各自治体の工夫を共有します。" * 10
    thread_rows, post_rows = [], []
    for n in range(threads):
        thread_id = 100000 + n
        thread_rows.append(dict(id=thread_id, theme_id=theme_id, author_id=author.id, title=f"大量のスレッド {n}",
                                created_at=now, last_posted_at=now, post_count=replies + 1,
                                last_position=replies + 1))
        for position in range(1, replies + 2):
            post_rows.append(dict(id=thread_id * 10 + position, thread_id=thread_id, position=position,
                                  author_id=author.id, author_role=Role.MAYOR, author_organisation="多久市",
                                  author_title="市長", body_source=body, body_html=f"<p>{body}</p>",
                                  created_at=now))
    db.session.execute(insert(Thread), thread_rows)
    db.session.execute(insert(Post), post_rows)
    db.session.commit()


def test_a_killed_cli_export_keeps_the_previous_file(app, database_url, tmp_path):
    """kill -9 in the middle of writing: the previous file is untouched, and nothing is in the audit log."""
    _bulk_board(threads=3000, replies=4)
    output = tmp_path / "out" / "summary.json"
    output.parent.mkdir()
    output.write_text('{"previous": "export"}', encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "k" * 40,
           "EDUCUSSION_INSTANCE_PATH": app.instance_path, "EDUCUSSION_SEARCH_DRAIN": "worker"}
    log = tmp_path / "export.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "export", "summary", "--format",
                                    "json", "-o", str(output)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=stderr)
        try:
            writing = False
            while process.poll() is None and not writing:  # until the export has written part of its file
                writing = output.stat().st_size != len('{"previous": "export"}') or any(
                    p.stat().st_size > 0 for p in output.parent.glob(".summary.json.*.part"))
                time.sleep(0.002)
            assert writing, log.read_text(errors="replace")[-2000:]
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert output.read_text(encoding="utf-8") == '{"previous": "export"}'
    db.session.expire_all()
    assert _audit_exports() == []


# ------------------------------------------------------------------ bounded work

def test_queries_do_not_grow_with_the_threads(board, count_queries):
    def selects() -> int:
        with count_queries() as log:
            _export(board.user("secretariat"), "json")
        return len(log.selects)

    before = selects()
    sapporo, company, taku = board.user("sapporo"), board.user("company"), board.user("taku")
    for n in range(3):
        thread = make_thread(author=sapporo, title=f"追加 {n}", replies=2, repliers=[company])
        reply = db.session.execute(select(Post).filter_by(thread_id=thread.id, position=2)).scalar_one()
        summaries.mark_helpful(reply, actor=taku)
    db.session.expire_all()
    assert selects() == before


# ------------------------------------------------------------------ ready for the office

LINKED = "総会の[配布資料](https://example.jp/soukai.pdf)をご覧ください。\n\n- 端末の更新\n- 通信費の負担\n"


def test_every_sheet_is_set_up_to_print_and_long_text_wraps(board):
    workbook = load_workbook(io.BytesIO(_export(board.user("secretariat"), "xlsx")))
    for sheet in workbook:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
        assert sheet.page_setup.fitToHeight == 0 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.oddHeader.center.text == "全国ICT教育首長協議会"
        assert sheet.oddFooter.center.text == "&P / &N"
    posts = workbook["投稿"]
    headers = [cell.value for cell in next(posts.iter_rows())]
    body = headers.index("本文")
    assert all(row[body].alignment.wrap_text for row in list(posts.iter_rows())[1:])
    assert not list(posts.iter_rows())[1][headers.index("URL")].alignment.wrap_text


def test_a_long_post_gets_a_taller_row(app):
    author = make_user(Role.MAYOR)
    thread = make_thread(author=author, title="長文", body="\n\n".join(["段落です。" * 12] * 4))
    secretariat = make_user(Role.SECRETARIAT)
    workbook = load_workbook(io.BytesIO(_export(secretariat, "xlsx", scope="thread", thread_id=thread.id)))
    posts = workbook["投稿"]
    assert posts.row_dimensions[2].height and posts.row_dimensions[2].height >= 4 * 18


def test_links_keep_their_address_and_lists_one_line_per_item_in_every_flat_format(app):
    secretariat = make_user(Role.SECRETARIAT)
    thread = make_thread(author=make_user(Role.MAYOR), title="資料の共有", body=LINKED)
    summaries.save_summary(thread, actor=secretariat, outcome="resolved", conclusion=LINKED)
    expected = "総会の配布資料（https://example.jp/soukai.pdf）をご覧ください。\n・端末の更新\n・通信費の負担"
    workbook = load_workbook(io.BytesIO(_export(secretariat, "xlsx", scope="thread", thread_id=thread.id)))
    assert _records(workbook["投稿"])[0]["本文"].value == expected
    assert _records(workbook["スレッド"])[0]["まとめ"].value == expected
    rows = list(csv.DictReader(io.StringIO(_export(secretariat, "csv", scope="thread", thread_id=thread.id)
                                           .decode("utf-8-sig"))))
    assert rows[0]["まとめ"] == expected.replace("\n", "\r\n") or rows[0]["まとめ"] == expected
    data = json.loads(_export(secretariat, "json", scope="thread", thread_id=thread.id))
    assert data["threads"][0]["posts"][0]["text"] == expected
    markdown = _export(secretariat, "md", scope="thread", thread_id=thread.id).decode()
    assert "https://example.jp/soukai.pdf" in markdown and "・端末の更新\n" in markdown
