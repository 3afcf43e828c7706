"""Without SECRET_KEY a random key is made once in the instance folder; production needs an explicit one."""
import os
import stat

import pytest

from educussion import create_app
from educussion.config import instance_secret_key


@pytest.fixture
def no_key_config(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("EDUCUSSION_ENV", raising=False)
    instance = tmp_path / "instance"
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance)}


def _key_file(config) -> str:
    return os.path.join(config["INSTANCE_PATH"], "secret_key")


def test_first_start_makes_a_private_random_key_and_later_starts_reuse_it(no_key_config):
    first = create_app(no_key_config).config["SECRET_KEY"]
    path = _key_file(no_key_config)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first) >= 32 and first != "dev-only-not-secret"
    with open(path) as f:
        assert f.read().strip() == first
    assert create_app(no_key_config).config["SECRET_KEY"] == first  # a restart: the same key
    assert [name for name in os.listdir(no_key_config["INSTANCE_PATH"]) if name.startswith(".secret_key")] == []


def test_two_apps_on_one_instance_folder_sign_with_the_same_key(no_key_config):
    """Two workers: a session cookie made by one is read by the other."""
    one, two = create_app(no_key_config), create_app(no_key_config)
    assert one.config["SECRET_KEY"] == two.config["SECRET_KEY"]
    with one.test_request_context():
        cookie = one.session_interface.get_signing_serializer(one).dumps({"lang": "en"})
    with two.test_request_context():
        assert two.session_interface.get_signing_serializer(two).loads(cookie) == {"lang": "en"}


def test_two_instance_folders_get_different_keys(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert instance_secret_key(str(tmp_path / "a")) != instance_secret_key(str(tmp_path / "b"))


def test_a_configured_key_is_used_and_no_file_is_made(no_key_config, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert create_app(no_key_config).config["SECRET_KEY"] == "k" * 40
    assert not os.path.exists(_key_file(no_key_config))


def test_production_refuses_to_start_without_an_explicit_key_even_with_the_file(no_key_config, monkeypatch):
    create_app(no_key_config)  # the development start made instance/secret_key
    monkeypatch.setenv("EDUCUSSION_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(no_key_config)


def test_the_once_published_development_key_is_refused(no_key_config, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    with pytest.raises(RuntimeError, match="published"):
        create_app(no_key_config)
