"""Every form of the app, given every kind of bad input, answers in the project's own Japanese: never the
library's wording (「フィールドは…」) and never English."""
from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (BooleanField, DateField, DateTimeField, DecimalField, FileField, FloatField, IntegerField,
                     RadioField, SelectField, SelectMultipleField)

import educussion
from educussion.forms import Form

ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")
ALLOWED_WORDS = {"XLSX", "HTTP", "https", "TOTP"}


def _all_forms() -> list[type]:
    for module in pkgutil.walk_packages(educussion.__path__, "educussion."):
        if not module.name.startswith("educussion.data"):
            importlib.import_module(module.name)
    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("educussion.") and sub is not Form:
                found.append(sub)
    return found


FORMS = _all_forms()


def _bad_values(field, kind: str) -> list[str] | None:
    """What one round of bad input puts in `field` (None: leave it out of the request)."""
    if isinstance(field, FileField):
        return None
    if kind == "empty":
        return [""]
    if isinstance(field, (IntegerField, DecimalField, FloatField)):
        return {"junk": ["abc"], "short": ["-5"], "long": ["9" * 30]}[kind]
    if isinstance(field, (DateField, DateTimeField)):
        return {"junk": ["99999-99-99"], "short": ["2025-13-01"], "long": ["x" * 400]}[kind]
    if isinstance(field, (SelectField, SelectMultipleField, RadioField)):
        return ["not-a-choice"]
    if isinstance(field, BooleanField):
        return ["y"]
    return {"junk": ["ａ" * 100_001], "short": ["x"], "long": ["x" * 100_001]}[kind]


def _errors(form_class, app, kind: str) -> list[str]:
    with app.test_request_context("/", method="POST", headers={"Accept-Language": "ja"}):
        data = MultiDict()
        probe = form_class(formdata=None, meta={"csrf": False})
        for field in probe:
            values = _bad_values(field, kind)
            for value in values or []:
                data.add(field.name, value)
        form = form_class(formdata=data, meta={"csrf": False})
        for field in form:
            if isinstance(field, (SelectField, SelectMultipleField, RadioField)) and field.choices is None:
                field.choices = []  # views fill these in
        form.validate()
        messages = [str(m) for errors in form.errors.values() for m in
                    (errors if isinstance(errors, list) else [errors])]
        return messages + [str(m) for m in form.form_errors]


def test_every_form_of_the_app_is_built_on_the_projects_base_form():
    assert FORMS, "no form found"
    assert [f.__qualname__ for f in FORMS if not issubclass(f, Form)] == []


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f"{f.__module__.split('.')[1]}.{f.__name__}")
def test_every_error_of_every_form_reads_in_the_projects_japanese(app, form_class):
    messages = []
    for kind in ("empty", "junk", "short", "long"):
        messages += _errors(form_class, app, kind)
    library = [m for m in messages if "フィールド" in m]
    english = [m for m in messages if set(ENGLISH_WORD.findall(m)) - ALLOWED_WORDS]
    assert library == [] and english == []
