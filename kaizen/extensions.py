"""The Flask extensions, created unbound and initialised in the app factory."""

from typing import TYPE_CHECKING

from flask_babel import Babel, gettext
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it here."""
    return message


# A naming convention gives every constraint a stable name, so Alembic can alter and
# drop them on both SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Type checkers cannot see through Flask-SQLAlchemy's generated base; to them, models
# derive from our typed DeclarativeBase, which is what db.Model extends at run time.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
htmx = HTMX()
# Initialised with the reader's language by kaizen/i18n.py.
babel = Babel()
login = LoginManager()
login.login_view = "accounts.login_page"
# Flashed in the reader's language: marked here for the catalogue (N_), translated when shown.
login.login_message = N_("Please sign in to continue.")
login.localize_callback = gettext
login.login_message_category = "info"
