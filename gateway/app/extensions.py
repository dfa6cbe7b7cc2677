"""Bare extension instances; each is bound to the app in `create_app`."""

from flask_cors import CORS
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sock import Sock
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from gateway.app.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
sock = Sock()
cors = CORS()
login_manager = LoginManager()
csrf = CSRFProtect()
