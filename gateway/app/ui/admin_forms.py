"""Forms of the admin pages: API keys and product templates (CSRF-protected), the audit filter
(a plain GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from gateway.app import validation as v
from gateway.app.accounts.models import PLANS, SCOPES
from gateway.app.accounts.service import DEFAULT_KEY_SCOPES
from gateway.app.errors import ValidationFailed
from gateway.app.pagination import MAX_KEY

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
    before = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_KEY)])
    after = IntegerField(validators=[Optional(), NumberRange(min=0, max=MAX_KEY)])

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")


class TemplateForm(FlaskForm):
    """A product template as typed: every field is text, and the template service judges it.

    The ticked catalog variants and their prices are not fields here: their names depend on the
    catalog (`variant` and `price-<id>`), so the view reads them from the request itself.
    `variant_input` says which way the variants came: ticked in the catalog or typed as lines.
    """

    name = StringField("Name")
    blueprint_id = StringField("Blueprint id")
    print_provider_id = StringField("Print provider id")
    variant_input = HiddenField(default="catalog")
    variant_lines = TextAreaField("Variants")
    default_price = StringField("Price for every variant")
    position = StringField("Print position", default="front")
    placement_x = StringField("Centre x", default="0.5")
    placement_y = StringField("Centre y", default="0.5")
    placement_scale = StringField("Scale", default="1")
    placement_angle = StringField("Angle", default="0")
    placeholder_width = StringField("Print area width")
    placeholder_height = StringField("Print area height")
    title_template = StringField("Title", default="{title}")
    description_template = TextAreaField("Description", default="{description}")
    tags = StringField("Tags")
    price_mode = RadioField(
        "Pricing",
        choices=[
            SelectChoice("explicit", "Explicit prices"),
            SelectChoice("rule", "Markup rule over Printify's cost"),
        ],
        default="explicit",
        validate_choice=False,
    )
    markup_percent = StringField("Markup %")
    round_to_cents = StringField("Price ends in (cents)", default="99")
    min_profit = StringField("Minimum profit per sale")


class ConfirmForm(FlaskForm):
    """A button that changes something (delete, refresh); it carries only the CSRF token."""
