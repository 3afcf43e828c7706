"""Japanese by default, English on request; the Japanese catalogue is complete and current."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from educussion.models import Role

from .factories import make_user

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "educussion" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"


def test_japanese_is_the_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="ja">' in page and "エデュカッションボード" in page


def test_accept_language_english(client):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Educussion board" in page
    assert "Efficient infrastructure" in page  # theme names follow the language


def test_lang_parameter_switches_and_sticks(client):
    assert '<html lang="en">' in client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/themes/infrastructure").get_data(as_text=True)
    assert '<html lang="ja">' in client.get("/?lang=ja").get_data(as_text=True)


def test_user_preference_wins_over_the_browser(client, login_as):
    login_as(make_user(Role.MAYOR, locale="en"))
    page = client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_japanese_catalogue_has_no_untranslated_or_fuzzy_entry():
    with PO.open("rb") as f:
        catalogue = read_po(f)
    untranslated = [m.id for m in catalogue if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_catalogue_covers_every_string_in_the_code(tmp_path):
    """Every _() in code and templates is in the catalogue (run `make extract-messages` when this fails)."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
         "-k", "N_", "--ignore-dirs=.* __pycache__", "--no-location", "-o", str(pot), str(ROOT)],
        check=True, cwd=ROOT, capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        have = {m.id for m in read_po(f) if m.id}
    assert sorted(wanted - have, key=str) == []
