"""Forms of the admin pages: API keys (CSRF-protected) and the audit filter (a plain GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from gateway.app import validation as v
from gateway.app.accounts.models import PLANS, SCOPES
from gateway.app.accounts.service import DEFAULT_KEY_SCOPES
from gateway.app.errors import ValidationFailed

SCOPE_HELP = {
    "read": "list and view images, jobs and the account",
    "generate": "submit generation and edit jobs, upload images",
    "review": "approve, reject and edit images",
    "publish": "publish approved images to the shop",
    "admin": "everything, including resets and forced deletes",
}


def plain_text(form: FlaskForm, field: StringField) -> None:
    """The shared input rule for free text: no control characters (a NUL never reaches the DB)."""
    try:
        v.clean_text(field.data, field.name, max_length=1000, allow_markup=True)
    except ValidationFailed as error:
        raise ValidationError(error.field_errors.get(field.name, error.message)) from None


class CheckboxesField(SelectMultipleField):
    """A multiple choice drawn as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CreateKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    plan = SelectField("Plan", choices=[SelectChoice(plan, plan.capitalize()) for plan in PLANS])
    scopes = CheckboxesField(
        "Scopes",
        choices=[SelectChoice(scope) for scope in SCOPES],
        default=list(DEFAULT_KEY_SCOPES),
        validators=[DataRequired(message="Choose at least one scope.")],
    )


class RevokeKeyForm(FlaskForm):
    """Confirms a revocation; it carries only the CSRF token."""


class AuditFilterForm(FlaskForm):
    """Filters from the query string: reading the log changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    entity_type = StringField("Entity type", validators=[Optional(), Length(max=32), plain_text])
    entity_id = StringField("Entity id", validators=[Optional(), Length(max=40), plain_text])
    actor = StringField("Actor", validators=[Optional(), Length(max=100), plain_text])
    action = StringField("Action", validators=[Optional(), Length(max=40), plain_text])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
    before = IntegerField(validators=[Optional(), NumberRange(min=1)])
    after = IntegerField(validators=[Optional(), NumberRange(min=0)])

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")
