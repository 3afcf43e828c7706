"""The audit log (操作ログ): who may see it, filters, pages, and the XLSX/CSV exports with their own entries."""
import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from educussion.auditlog import labels, queries, services
from educussion.errors import PermissionDenied
from educussion.export import Sheet, csv_bytes, neutralise, xlsx_bytes
from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, Role
from educussion.site import queries as site_queries

from .factories import make_thread, make_user

URL = "/secretariat/audit-log"
UTC = timezone.utc


def html(response) -> str:
    return response.get_data(as_text=True)


def add_entry(action=AuditAction.POST_HIDDEN, *, when=None, actor="事務局 花子 <office@example.jp>",
              target_type="post", target="端末更新の費用負担 #2", summary="", reason=None) -> AuditEntry:
    entry = AuditEntry(created_at=when or datetime.now(UTC), actor_label=actor, action=action,
                       target_type=target_type, target_label=target, summary=summary, reason=reason)
    db.session.add(entry)
    db.session.commit()
    return entry


def exports() -> list[AuditEntry]:
    return list(db.session.execute(
        select(AuditEntry).filter_by(action=AuditAction.AUDIT_LOG_EXPORTED)).scalars())


@pytest.fixture
def secretariat(login_as):
    return login_as(make_user(Role.SECRETARIAT, name="事務局 花子"))


# ------------------------------------------------------------------ who may see it

def test_anonymous_visitors_are_sent_to_log_in(client):
    for url, method in ((URL, client.get), (URL + "/export.xlsx", client.post), (URL + "/export.csv", client.post)):
        response = method(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", [Role.MAYOR, Role.MUNICIPAL_STAFF, Role.COMPANY, Role.ACADEMIC, None])
def test_only_the_secretariat_may_see_or_export(client, login_as, role):
    login_as(make_user(role))
    assert client.get(URL).status_code == 403
    for url in (URL + "/export.xlsx", URL + "/export.csv"):
        assert client.post(url).status_code == 403, url
        assert client.get(url).status_code == 405, url  # a download writes an audit entry: never on a GET
    assert exports() == []


def test_a_suspended_secretariat_member_may_not(client, login_as):
    login_as(make_user(Role.SECRETARIAT, suspended_at=datetime.now(UTC)))
    assert client.get(URL).status_code == 403


def test_the_service_refuses_other_roles(app):
    with pytest.raises(PermissionDenied):
        services.export_log(queries.Filters(), actor=make_user(Role.MAYOR), file_format="csv")
    assert exports() == []


def test_the_secretariat_sees_entries_written_by_real_services(client, secretariat):
    make_thread(title="端末更新の費用負担について")
    page = html(client.get(URL))
    assert "<caption" in page and '<th scope="col">' in page
    assert "端末更新の費用負担について" in page and str(labels.ACTION_LABELS[AuditAction.THREAD_CREATED]) in page
    assert 'action="/secretariat/audit-log/export.xlsx"' in page
    assert 'action="/secretariat/audit-log/export.csv"' in page


def test_every_action_has_a_label_and_a_group():
    assert set(labels.ACTION_LABELS) == set(AuditAction)
    assert {labels.group_of(action) for action in AuditAction} == set(labels.GROUP_LABELS)
    with force_locale("en"):
        names = [str(label) for label in labels.ACTION_LABELS.values()]
    assert all(names) and len(set(names)) == len(names)


def test_unknown_actions_and_target_types_show_their_stored_value():
    assert labels.action_label("no.such_action") == "no.such_action"
    assert labels.target_type_label("something new") == "something new"


# ------------------------------------------------------------------ filters and pages

@pytest.fixture
def log(app):
    """Five entries over three Japan days, one per kind of filter."""
    return {
        "hidden": add_entry(AuditAction.POST_HIDDEN, when=datetime(2025, 3, 31, 15, 30, tzinfo=UTC),  # 4/1 0:30 JST
                            actor="事務局 花子 <office@example.jp>", target="費用負担 #2", reason="個人情報"),
        "locked": add_entry(AuditAction.THREAD_LOCKED, when=datetime(2025, 4, 1, 3, 0, tzinfo=UTC),
                            actor="事務局 花子 <office@example.jp>", target_type="thread", target="費用負担"),
        "approved": add_entry(AuditAction.VERIFICATION_APPROVED, when=datetime(2025, 4, 2, 14, 59, tzinfo=UTC),
                              actor="事務局 次郎 <jiro@example.jp>", target_type="user",
                              target="山田 太郎 <mayor@city.taku.lg.jp>"),
        "suspended": add_entry(AuditAction.USER_SUSPENDED, when=datetime(2025, 4, 2, 15, 0, tzinfo=UTC),  # 4/3 JST
                               actor="事務局 次郎 <jiro@example.jp>", target_type="user", target="荒らし 一郎 <x@example.jp>"),
        "percent": add_entry(AuditAction.MUNICIPALITIES_LOADED, when=datetime(2025, 3, 1, tzinfo=UTC), actor="system",
                             target_type="municipalities", target="100%_done"),
    }


def ids(filters: queries.Filters) -> set[int]:
    return {entry.id for entry in queries.entries(filters).items}


def test_filters_by_action_group_actor_target_and_japan_dates(log):
    assert ids(queries.Filters()) == {e.id for e in log.values()}
    assert ids(queries.Filters(action="post.hidden")) == {log["hidden"].id}
    assert ids(queries.Filters(action="user.")) == {log["suspended"].id}
    assert ids(queries.Filters(action="thread.")) == {log["locked"].id}
    assert ids(queries.Filters(action="verification.")) == {log["approved"].id}
    assert ids(queries.Filters(action="nonsense")) == {e.id for e in log.values()}  # ignored, not an error
    assert ids(queries.Filters(actor="次郎")) == {log["approved"].id, log["suspended"].id}
    assert ids(queries.Filters(actor="OFFICE@")) == {log["hidden"].id, log["locked"].id}  # any case
    assert ids(queries.Filters(target="費用負担")) == {log["hidden"].id, log["locked"].id}
    assert ids(queries.Filters(target="%_")) == {log["percent"].id}  # LIKE wildcards are plain characters
    # JST days: 2025-04-01 00:30 JST is 3/31 in UTC; 4/2 23:59 JST is in, 4/3 00:00 JST is out.
    assert ids(queries.Filters(start=date(2025, 4, 1), end=date(2025, 4, 1))) == {log["hidden"].id, log["locked"].id}
    assert ids(queries.Filters(start=date(2025, 4, 2), end=date(2025, 4, 2))) == {log["approved"].id}
    assert ids(queries.Filters(start=date(2025, 4, 3))) == {log["suspended"].id}
    assert ids(queries.Filters(end=date(2025, 3, 31))) == {log["percent"].id}
    assert ids(queries.Filters(action="user.", actor="次郎", start=date(2025, 4, 3))) == {log["suspended"].id}


def test_newest_first(log):
    items = queries.entries(queries.Filters()).items
    assert [e.id for e in items] == [log[k].id for k in ("suspended", "approved", "locked", "hidden", "percent")]


def test_the_page_applies_the_filters_and_keeps_them_in_the_download_links(client, secretariat, log):
    page = html(client.get(URL, query_string={"action": "user.", "actor": "次郎", "start": "2025-04-01"}))
    assert "荒らし 一郎" in page and "山田 太郎" not in page and "費用負担" not in page
    assert "export.xlsx?action=user.&amp;actor=%E6%AC%A1%E9%83%8E&amp;start=2025-04-01" in page
    assert '<option selected value="user.">' in page
    # Dates shown in Japan time.
    assert "2025年4月3日 0:00" in page


def test_the_page_in_english(client, secretariat, log):
    page = html(client.get(URL, query_string={"lang": "en", "actor": "system"}))
    assert '<html lang="en">' in page and "1 entry matches, newest first." in page
    assert "Municipality list loaded" in page and "1 Mar 2025, 09:00" in page


def test_invalid_filters_are_reported_and_ignored(client, secretariat, log):
    response = client.get(URL, query_string={"action": "drop table", "start": "2025-04-03", "end": "2025-04-01",
                                             "actor": "x" * 101})
    assert response.status_code == 200
    page = html(response)
    assert page.count('aria-invalid="true"') == 3
    assert "荒らし 一郎" in page and "export.csv?start=2025-04-03" in page  # only the valid filter is kept


def test_pages_keep_the_filters(client, secretariat):
    start = datetime(2025, 5, 1, tzinfo=UTC)
    for n in range(queries.PER_PAGE + 3):
        add_entry(AuditAction.POST_HIDDEN, when=start + timedelta(minutes=n), target=f"スレッド #{n}")
    add_entry(AuditAction.THREAD_LOCKED, when=start, target="別のスレッド")
    first = html(client.get(URL, query_string={"action": "post."}))
    assert f"スレッド #{queries.PER_PAGE + 2}<" in first and "スレッド #2<" not in first
    assert 'href="/secretariat/audit-log?action=post.&amp;page=2"' in first
    second = html(client.get(URL, query_string={"action": "post.", "page": 2}))
    assert "スレッド #0<" in second and "スレッド #2<" in second and "別のスレッド" not in second
    assert html(client.get(URL, query_string={"page": 99})).count("<tr>") == 1 + 4  # the last page


def test_the_page_runs_a_bounded_number_of_statements(client, secretariat, count_queries):
    def statements():
        site_queries.contact()  # the footer's contact details are kept in the process, not read per page
        db.session.commit()
        db.session.expunge_all()
        with count_queries() as log:
            response = client.get(URL, query_string={"action": "post.", "actor": "事務局"})
        assert response.status_code == 200
        return log

    add_entry()
    few = statements()
    for n in range(queries.PER_PAGE + 10):
        add_entry(target=f"#{n}")
    many = statements()
    assert len(few) == len(many), many.statements
    assert len(many.selects) <= 3, many.selects  # the user, the count, the page
    assert many.writes == []


# ------------------------------------------------------------------ XLSX

def test_xlsx_export(client, secretariat, log):
    add_entry(AuditAction.POST_EDITED_BY_MODERATOR, when=datetime(2025, 4, 1, 5, 6, tzinfo=UTC), target="011002",
              summary="=SUM(A1:A9)", reason="-1 の修正\n二行目")
    response = client.post(URL + "/export.xlsx", query_string={"start": "2025-04-01", "end": "2025-04-01"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and disposition.endswith(".xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    with force_locale("ja"):
        assert list(rows[0]) == queries.headers()
    assert sheet.freeze_panes == "A2"
    assert len(rows) == 1 + 3  # the two entries of that Japan day and the one above
    newest = rows[1]
    assert newest[0] == datetime(2025, 4, 1, 14, 6)  # a real date, in Japan time
    assert isinstance(sheet["A2"].value, datetime) and sheet["A2"].is_date
    assert newest[4] == "011002" and sheet["E2"].data_type == "s" and sheet["E2"].number_format == "@"
    assert newest[5] == "'=SUM(A1:A9)" and sheet["F2"].data_type == "s"
    assert newest[6] == "'-1 の修正\n二行目"
    assert rows[3][6] == "個人情報" and rows[2][6] is None
    assert sheet.column_dimensions["A"].width >= 16


def test_each_export_writes_exactly_one_audit_entry(client, secretariat, log):
    client.post(URL + "/export.xlsx", query_string={"action": "user.", "actor": "次郎"})
    [entry] = exports()
    assert entry.actor_id == secretariat.id and entry.target_type == "audit log"
    assert entry.params == {"format": "xlsx", "rows": 1, "filters": {"action": "user.", "actor": "次郎"}}
    assert labels.summary_text(entry) == "XLSX、1行 — 操作: アカウント / 操作者: 次郎"
    client.post(URL + "/export.csv")
    assert len(exports()) == 2
    assert exports()[-1].params == {"format": "csv", "rows": len(log) + 1, "filters": {}}  # the first is in it
    assert labels.summary_text(exports()[-1]) == f"CSV、{len(log) + 1}行 — 絞り込みなし"


# ------------------------------------------------------------------ CSV

def test_csv_export(client, secretariat, log):
    add_entry(AuditAction.POST_REPORTED, when=datetime(2025, 4, 1, 1, 0, tzinfo=UTC), target="011002",
              summary="+cmd|' /C calc'!A0", reason='"引用", カンマ\n改行')
    response = client.post(URL + "/export.csv", query_string={"action": "post."})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\r\n" in text.split("\n")[0] + "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    with force_locale("ja"):
        assert rows[0] == queries.headers()
    assert len(rows) == 1 + 2
    assert rows[1][0] == "2025-04-01 10:00:00"  # Japan time
    assert rows[1][4] == "011002" and rows[1][5] == "'+cmd|' /C calc'!A0" and rows[1][6] == '"引用", カンマ\n改行'
    assert rows[2][6] == "個人情報"
    assert exports()[0].params == {"format": "csv", "rows": 2, "filters": {"action": "post."}}


# ------------------------------------------------------------------ the writers themselves

@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+81", "'+81"), ("-", "'-"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("＝1+1", "'＝1+1"), ("a=1", "a=1"), ("", ""), ("011002", "011002"), ("'quoted", "'quoted"),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_writer_is_generic():
    when = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
    data = csv_bytes(["名前", "数", "日付", "空"], [["=cmd", 7, when, None], ["b", -3, date(2025, 4, 1), ""]])
    assert data == ("\ufeff名前,数,日付,空\r\n'=cmd,7,2025-04-01 00:00:00,\r\nb,-3,2025-04-01,\r\n").encode("utf-8")


def test_xlsx_writer_is_generic():
    when = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
    data = xlsx_bytes([
        Sheet("一覧: [2025/04]", ["コード", "件数", "日時", "メモ"], [["011002", 3, when, "ok\x07=bad"], ["x", None, None, None]]),
        Sheet("一覧: [2025/04]", ["A"], []),
    ])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["一覧_ _2025_04_", "一覧_ _2025_04_ (2)"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]] == ["011002", 3, datetime(2025, 4, 1, 0, 0), "ok=bad"]
    assert sheet["B2"].data_type == "n" and sheet["A1"].font.b
    assert sheet.auto_filter.ref == "A1:D3"
    assert book.worksheets[1].max_row == 1


def test_xlsx_columns_fit_japanese_text():
    data = xlsx_bytes([Sheet("s", ["a", "b"], [["全国ICT教育首長協議会", "abcdefghij"]])])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.column_dimensions["A"].width == 2 * 9 + 3 + 2  # 9 full-width characters, "ICT", margin
    assert sheet.column_dimensions["B"].width == 10 + 2


def test_the_export_query_reads_every_row_in_batches(app):
    start = datetime(2025, 6, 1, tzinfo=UTC)
    made = [add_entry(when=start + timedelta(minutes=n // 2), target=str(n)).id for n in range(7)]
    got = [entry.id for entry in queries.iter_entries(queries.Filters(), batch=2)]
    assert sorted(got) == sorted(made) and len(got) == len(set(got))
    assert got == [e.id for e in queries.entries(queries.Filters()).items]
    assert db.session.execute(select(func.count(AuditEntry.id))).scalar_one() == 7


# ------------------------------------------------------------------ facts stored, summaries in the reader's language

def _log_rows(client, **args) -> str:
    return " ".join(client.get(URL, query_string=args).get_data(as_text=True).split())


def _csv_rows(client, **args) -> list[list[str]]:
    response = client.post(URL + "/export.csv", query_string=args)
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def test_summaries_are_written_as_facts_and_read_in_the_readers_language(client, login_as):
    """An English-speaking member's report reads in Japanese for a Japanese secretary, and a Japanese
    secretary's suspension reads in English for an English-speaking one; on the page and in the exports."""
    from educussion.moderation import services as moderation

    post = make_thread(replies=1).posts[-1]
    english = make_user(Role.COMPANY, name="Alice Smith", locale="en")
    login_as(english)
    response = client.post(f"/posts/{post.id}/report", data={"reason": "spam", "details": ""})
    assert response.status_code == 302
    [reported] = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.POST_REPORTED)).scalars()
    assert reported.params == {"reason": "spam"} and reported.summary == "" and reported.reason is None

    japanese = make_user(Role.SECRETARIAT, name="事務局 花子", locale="ja")
    with force_locale("ja"):
        moderation.suspend_user(make_user(Role.ACADEMIC, name="荒らし 一郎"), actor=japanese, until=None,
                                reason="規約違反")
    [suspended] = db.session.execute(select(AuditEntry).filter_by(action=AuditAction.USER_SUSPENDED)).scalars()
    assert suspended.params == {"until": None}

    login_as(japanese)
    page = _log_rows(client)
    assert "<td>投稿の通報</td>" in page.replace("\n", "")
    assert '<td class="audit-log__text">迷惑な宣伝</td>' in page and '<td class="audit-log__text">無期限</td>' in page
    rows = {row[2]: row for row in _csv_rows(client)[1:]}
    assert rows["投稿の通報"][5] == "迷惑な宣伝" and rows["利用停止"][5] == "無期限"

    page = _log_rows(client, lang="en")  # the same entries for a reader of English
    assert '<td class="audit-log__text">Spam</td>' in page and '<td class="audit-log__text">Indefinitely</td>' in page
    rows = {row[2]: row for row in _csv_rows(client, lang="en")[1:]}
    assert rows["Post reported"][5] == "Spam" and rows["Account suspended"][5] == "Indefinitely"
    workbook = load_workbook(io.BytesIO(client.post(URL + "/export.xlsx", query_string={"lang": "en"}).data))
    assert "Spam" in [row[5] for row in workbook.active.iter_rows(values_only=True)]


def test_entries_written_before_params_keep_their_text(client, secretariat):
    add_entry(AuditAction.POST_REPORTED, summary="Spam (written in English by the reporter)")
    add_entry(AuditAction.USER_REGISTERED, target_type="user", summary="registered")
    page = _log_rows(client)
    assert "Spam (written in English by the reporter)" in page and '<td class="audit-log__text">registered</td>' in page


def test_unexpected_params_show_the_facts_not_an_error(client, secretariat):
    entry = AuditEntry(actor_label="system", action=AuditAction.POST_EDITED, target_type="post", target_label="x",
                       summary="", params={"unexpected": 1})
    db.session.add(entry)
    db.session.commit()
    assert '{"unexpected": 1}' in html(client.get(URL)).replace("&#34;", '"')


def test_verification_entries_name_the_real_target_type(client, login_as):
    """The request is sent with flask_login's current_user (a proxy): the entry says "user", never "localproxy"."""
    member = login_as(make_user(None, name="申請 太郎"))
    response = client.post("/verification/new?role=company", data={
        "role": "company", "organisation_name": "テスト教育株式会社", "title": "部長", "phone": "03-1234-5678"})
    assert response.status_code == 302
    from educussion.models import VerificationRequest
    request = db.session.execute(select(VerificationRequest).filter_by(user_id=member.id)).scalar_one()
    login_as(make_user(Role.SECRETARIAT))
    assert client.post(f"/secretariat/verification/{request.id}/approve", data={"title": "部長"}).status_code == 302
    entries = {entry.action: entry for entry in db.session.execute(select(AuditEntry)).scalars()}
    for action in (AuditAction.VERIFICATION_REQUESTED, AuditAction.VERIFICATION_APPROVED):
        assert entries[action].target_type == "user" and entries[action].target_id == member.id, action
        assert entries[action].params == {"role": "company", "organisation": "テスト教育株式会社", "title": "部長"}
    assert db.session.execute(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.target_type == "localproxy")).scalar_one() == 0
    page = " ".join(html(client.get(URL)).split())
    assert "テスト教育株式会社 部長（企業）" in page and "<td>アカウント</td>" in page
