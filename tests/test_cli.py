"""`flask accounts …` and `flask demo load`."""
from sqlalchemy import func, select

from educussion.extensions import db
from educussion.models import Post, Role, Theme, Thread, User

from .factories import make_user


def test_set_role_command(runner):
    make_user(None, email="staff@example.jp")
    result = runner.invoke(args=["accounts", "set-role", "staff@example.jp", "municipal_staff",
                                 "--org", "多久市教育委員会", "--title", "学校教育課 主査"])
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).filter_by(email="staff@example.jp")).scalar_one()
    assert user.role == Role.MUNICIPAL_STAFF and user.is_verified
    assert "多久市教育委員会 学校教育課 主査" in result.output


def test_set_role_for_unknown_address_fails_clearly(runner):
    result = runner.invoke(args=["accounts", "set-role", "nobody@example.jp", "mayor", "--org", "多久市"])
    assert result.exit_code != 0 and "nobody@example.jp" in result.output


def test_create_secretariat_command(runner):
    result = runner.invoke(args=["accounts", "create-secretariat", "--email", "sec@example.jp", "--name",
                                 "事務局 花子", "--title", "事務局長"], input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).filter_by(email="sec@example.jp")).scalar_one()
    assert user.role == Role.SECRETARIAT and user.is_verified


def test_demo_load_fills_an_empty_board_once(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    users = db.session.execute(select(User)).scalars().all()
    assert len(users) >= 12 and all(u.is_demo and u.is_verified for u in users)
    assert {u.role for u in users} == set(Role)
    threads = db.session.execute(select(func.count(Thread.id))).scalar_one()
    assert threads >= 20
    for theme in db.session.execute(select(Theme)).scalars():
        posts = db.session.execute(
            select(func.count(Post.id)).join(Thread).where(Thread.theme_id == theme.id)).scalar_one()
        assert theme.thread_count >= 5 and theme.post_count == posts
    from educussion.models import Proposal, ProposalStatus

    statuses = sorted(p.status.value for p in db.session.execute(select(Proposal)).scalars())
    assert statuses == [ProposalStatus.APPROVED.value, ProposalStatus.IN_REVIEW.value]  # one published, one in review
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code != 0
    assert db.session.execute(select(func.count(Thread.id))).scalar_one() == threads


def test_demo_load_if_empty_succeeds_quietly_the_second_time_and_lists_the_accounts(runner):
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "Error" not in again.output
    assert "already has accounts" in again.output
    for output in (first.output, again.output):
        assert "jimukyoku@ict-mayors.demo.example.jp" in output and "mayor@sakuragawa.demo.example.jp" in output
        assert "demo-password-2025" in output
    synced = runner.invoke(args=["search", "sync"])
    assert synced.exit_code == 0 and "up to date" in synced.output and "0 posts" not in synced.output


def test_demo_accounts_were_verified_before_their_backdated_posts(runner, client):
    from educussion.models import Verification

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    first_post = db.session.execute(select(func.min(Post.created_at))).scalar_one()
    for user in db.session.execute(select(User)).scalars():
        assert user.verified_at < first_post and user.created_at < first_post
    for verification in db.session.execute(select(Verification)).scalars():
        assert verification.started_at < first_post
    # The organisation page of the demo mayor lists the threads the mayor opened.
    mayor = db.session.execute(select(User).filter_by(email="mayor@sakuragawa.demo.example.jp")).scalar_one()
    opened = db.session.execute(select(Thread).join(Post).where(Post.author_id == mayor.id, Post.position == 1)
                                ).scalars().first()
    page = client.get(f"/orgs/{mayor.organisation_id}").get_data(as_text=True)
    assert opened.title in page
