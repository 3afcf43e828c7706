"""The forbidden-names contract (tests/lint_contracts.py) finds every way a module can reach a name."""
from __future__ import annotations

import textwrap

import pytest

from .lint_contracts import forbidden_uses

FORBIDDEN = ["flask.request", "flask.session", "flask.abort", "flask_login.current_user"]


def uses(source: str) -> list[tuple[int, str, str]]:
    found = forbidden_uses(textwrap.dedent(source), FORBIDDEN, path="educussion/x/services.py")
    return [(use.line, use.name, use.how) for use in found]


@pytest.mark.parametrize("source, expected", [
    ("from flask import current_app, request\n", [(1, "flask.request", "from flask import request")]),
    ("from flask import session as s\n", [(1, "flask.session", "from flask import session")]),
    ("from flask.globals import request\n", [(1, "flask.request", "from flask.globals import request")]),
    ("import flask\n\nflask.abort(404)\n", [(3, "flask.abort", "flask.abort")]),
    ("import flask as f\nx = f.request.args\n", [(2, "flask.request", "f.request")]),
    ("def hide():\n    from flask_login import current_user\n",
     [(2, "flask_login.current_user", "from flask_login import current_user")]),
    ("from flask import *\n", [(1, "flask.*", "from flask import *")]),
])
def test_finds_the_name_with_its_line(source, expected):
    assert uses(source) == expected


@pytest.mark.parametrize("source", [
    "from flask import current_app\n",
    "import flask\nflask.current_app.config\n",
    "from .params import request\n",  # a module of our own, not flask's request
    "request = None\nsession = {}\n",
])
def test_leaves_other_names_alone(source):
    assert uses(source) == []
