"""Board services: threads, replies, edits, counters, snapshots and idempotency."""
import pytest
from sqlalchemy import func, select

from educussion.board import services
from educussion.errors import InvalidInput, PermissionDenied
from educussion.extensions import db
from educussion.models import AuditAction, AuditEntry, Post, Role, Theme, Thread

from .factories import make_thread, make_user, theme


def test_create_thread_stores_opening_post_counters_and_audit(app):
    mayor = make_user(Role.MAYOR, name="山田 太郎", organisation="多久市", title="市長")
    thread = services.create_thread(theme("infrastructure"), actor=mayor, title="  端末更新の費用  ",
                                    body="**次期端末**の更新費用について")
    assert thread.title == "端末更新の費用"
    assert thread.post_count == 1 and thread.reply_count == 0
    post = thread.posts[0]
    assert post.position == 1
    assert post.body_html == "<p><strong>次期端末</strong>の更新費用について</p>"
    assert (post.author_role, post.author_organisation, post.author_title) == (Role.MAYOR, "多久市", "市長")
    assert post.author_affiliation == "多久市長"
    infra = theme("infrastructure")
    assert (infra.thread_count, infra.post_count) == (1, 1)
    assert infra.last_posted_at == post.created_at
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert actions == [AuditAction.THREAD_CREATED]


def test_reply_counts_and_positions(app):
    thread = make_thread()
    company = make_user(Role.COMPANY)
    first = services.create_reply(thread, actor=company, body="一つ目")
    second = services.create_reply(thread, actor=company, body="二つ目")
    assert (first.position, second.position) == (2, 3)
    thread = db.session.get(Thread, thread.id)
    assert thread.post_count == 3 and thread.reply_count == 2
    assert thread.last_posted_at == second.created_at
    assert theme("infrastructure").post_count == 3


def test_snapshot_survives_a_change_of_title(app):
    mayor = make_user(Role.MAYOR, organisation="多久市", title="市長")
    thread = make_thread(author=mayor)
    mayor.title = "前市長"
    db.session.commit()
    assert db.session.get(Thread, thread.id).posts[0].author_affiliation == "多久市長"


def test_same_idempotency_key_creates_one_post(app):
    thread = make_thread()
    company = make_user(Role.COMPANY)
    a = services.create_reply(thread, actor=company, body="二重送信", idempotency_key="k1")
    b = services.create_reply(thread, actor=company, body="二重送信", idempotency_key="k1")
    assert a.id == b.id
    assert db.session.execute(select(func.count(Post.id))).scalar_one() == 2
    assert db.session.get(Thread, thread.id).post_count == 2


def test_same_idempotency_key_for_a_thread_creates_one_thread(app):
    mayor = make_user(Role.MAYOR)
    a = services.create_thread(theme(), actor=mayor, title="題", body="本文", idempotency_key="t1")
    b = services.create_thread(theme(), actor=mayor, title="題", body="本文", idempotency_key="t1")
    assert a.id == b.id
    assert theme().thread_count == 1


@pytest.mark.parametrize("title, body, field", [("", "本文", "title"), ("題", "   ", "body"), ("あ" * 121, "本文", "title")])
def test_invalid_thread_input_names_the_field_and_stores_nothing(app, title, body, field):
    mayor = make_user(Role.MAYOR)
    with pytest.raises(InvalidInput) as error:
        services.create_thread(theme(), actor=mayor, title=title, body=body)
    assert error.value.field == field
    assert db.session.execute(select(func.count(Thread.id))).scalar_one() == 0


def test_company_cannot_start_thread_by_default(app):
    with pytest.raises(PermissionDenied):
        services.create_thread(theme(), actor=make_user(Role.COMPANY), title="題", body="本文")


def test_thread_starter_roles_come_from_configuration(make_app):
    app = make_app(THREAD_STARTER_ROLES=("company",))
    with app.app_context():
        company = make_user(Role.COMPANY)
        assert services.create_thread(theme(), actor=company, title="題", body="本文").id
        with pytest.raises(PermissionDenied):
            services.create_thread(theme(), actor=make_user(Role.MAYOR), title="題", body="本文")


def test_unverified_user_cannot_reply(app):
    thread = make_thread()
    with pytest.raises(PermissionDenied):
        services.create_reply(thread, actor=make_user(None), body="返信")


def test_edit_keeps_revisions_and_marks_post_edited(app):
    mayor = make_user(Role.MAYOR)
    thread = make_thread(author=mayor, title="元の題", body="元の本文")
    post = thread.posts[0]
    services.edit_post(post, actor=mayor, body="新しい本文", title="新しい題")
    post = db.session.get(Post, post.id)
    assert post.edited_at is not None
    assert post.body_source == "新しい本文"
    assert post.thread.title == "新しい題"
    assert [(r.number, r.title, r.body_source) for r in post.revisions] == [
        (1, "元の題", "元の本文"), (2, "新しい題", "新しい本文")]
    assert db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()[-1] \
        == AuditAction.POST_EDITED


def test_edit_without_changes_writes_no_revision(app):
    mayor = make_user(Role.MAYOR)
    post = make_thread(author=mayor, body="同じ").posts[0]
    services.edit_post(post, actor=mayor, body="同じ")
    assert db.session.get(Post, post.id).edited_at is None
    assert len(db.session.get(Post, post.id).revisions) == 1


def test_cannot_edit_someone_elses_post(app):
    post = make_thread().posts[0]
    with pytest.raises(PermissionDenied):
        services.edit_post(post, actor=make_user(Role.MAYOR), body="書き換え", reason="理由")
    assert db.session.get(Post, post.id).body_source != "書き換え"


def test_a_moderator_edit_needs_a_reason_and_is_marked(app):
    post = make_thread().posts[0]
    secretariat = make_user(Role.SECRETARIAT)
    with pytest.raises(InvalidInput) as error:
        services.edit_post(post, actor=secretariat, body="書き換え")
    assert error.value.field == "reason"
    services.edit_post(post, actor=secretariat, body="電話番号を削除しました。", reason="個人情報のため")
    revision = db.session.get(Post, post.id).revisions[-1]
    assert (revision.is_moderator_edit, revision.reason, revision.editor_id) == (True, "個人情報のため", secretariat.id)


def test_theme_counters_across_themes(app):
    make_thread(theme_slug="policy-proposals", replies=2)
    make_thread(theme_slug="teacher-training")
    counts = {t.slug: (t.thread_count, t.post_count) for t in db.session.execute(select(Theme)).scalars()}
    assert counts["policy-proposals"] == (1, 3)
    assert counts["teacher-training"] == (1, 1)
    assert counts["infrastructure"] == (0, 0)
