"""The rules of the app as plain functions: values in, values out, no request globals."""

from typing import Any, TypeAlias

from sqlalchemy.orm import Session, scoped_session

# Services take a plain Session (scripts, tests) or Flask-SQLAlchemy's request-scoped
# `db.session`, which proxies the same methods.
DbSession: TypeAlias = Session | scoped_session[Any]
