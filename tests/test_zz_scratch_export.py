import io, json
from datetime import datetime, timezone, timedelta
from sqlalchemy import select, update
from openpyxl import load_workbook
from educussion.extensions import db
from educussion.models import Organisation, Post, Role, Thread, Visibility
from educussion.export import services, formats
from educussion.export.summary import SummaryFilters, build
from educussion.moderation import services as moderation
from educussion.summaries import services as summaries
from .factories import make_post, make_thread, make_user

UTC = timezone.utc

def test_dump(app):
    mayor = make_user(Role.MAYOR, organisation="札幌市", name="札幌 太郎", title="市長")
    print(mayor.organisation.municipality_code, mayor.organisation.prefecture)
    company = make_user(Role.COMPANY, name="企業 花子")
    sec = make_user(Role.SECRETARIAT, name="事務局 次郎")
    t = make_thread(author=mayor, title="端末更新")
    p = make_post(t, author=company, body="=HYPERLINK(\"http://x\",\"a\") <b>x</b> & 1")
    summaries.save_summary(t, actor=sec, outcome="resolved", conclusion="=HYPERLINK(\"http://x\") **まとめ** <script>x</script>")
    export = services.export_summary(SummaryFilters(), actor=sec, file_format="md", base_url="http://t")
    print(b"".join(export.chunks).decode())
    export = services.export_summary(SummaryFilters(), actor=sec, file_format="csv", base_url="http://t")
    print(b"".join(export.chunks).decode("utf-8-sig"))
    export = services.export_summary(SummaryFilters(), actor=sec, file_format="xlsx", base_url="http://t")
    wb = load_workbook(io.BytesIO(b"".join(export.chunks)))
    for ws in wb:
        print(ws.title)
        for row in ws.iter_rows():
            print([(c.value, c.data_type) for c in row])
    assert 0
