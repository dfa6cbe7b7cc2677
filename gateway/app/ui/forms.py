"""Flask-WTF forms of the review UI (every one carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class LogoutForm(FlaskForm):
    """Logging out changes state, so it is a POST with a CSRF token like any other."""


class PublishForm(FlaskForm):
    """Publish one image with a template; the publishing service judges every value."""

    template_id = StringField("Template")
    dry_run = BooleanField("Dry run")
    allow_low_resolution = BooleanField("Publish anyway although below the DPI floor")
    acknowledge_risk = BooleanField("Publish although it names protected terms")
    risk_note = StringField("Why it may be published")

    def body(self) -> dict[str, object]:
        return {
            "template_id": self.template_id.data or "",
            "dry_run": bool(self.dry_run.data),
            "allow_low_resolution": bool(self.allow_low_resolution.data),
            "acknowledge_risk": bool(self.acknowledge_risk.data),
            "note": self.risk_note.data or None,
        }


class BatchPublishForm(PublishForm):
    """Publish the queue's selection: the ids come as repeated `image_ids` values."""

    image_ids = SelectMultipleField(validate_choice=False)

    def body(self) -> dict[str, object]:
        return {"image_ids": list(self.image_ids.data or []), **super().body()}
