"""Small template helpers for the registry's pages: roles, dict lookups, query strings, percentages."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from adoption.localnames import place_name as _place_name
from adoption.models import Adoption
from adoption.roles import is_curator as _is_curator

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_context(context) -> str:
    """Put is_curator and the queue size into the context once per page (used by the site navigation)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    curator = _is_curator(user)
    context["is_curator"] = curator
    context["queue_size"] = Adoption.objects.pending_review().count() if curator else 0
    return ""


@register.filter
def is_curator(user) -> bool:
    return _is_curator(user)


@register.filter
def get_item(mapping, key):
    """mapping[key] or None; templates cannot index a dict with a variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def place_name(code, default: str = "") -> str:
    """A map group's or split key's name in the reader's language: {{ group.key|place_name:group.name }}."""
    return _place_name(code, default)


@register.filter
def percent(value, digits: int = 0) -> str:
    """0.375 -> '38%' (or with digits), in the reader's number format ('37,5 %' in French)."""
    try:
        number = number_format(round(float(value) * 100, int(digits)), int(digits))
    except (TypeError, ValueError):
        return ""
    # Translators: a percentage; some languages put a (non-breaking) space before the sign.
    return _("%(number)s%%") % {"number": number}


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or '' drops one); page resets."""
    request = context["request"]
    params = request.GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def adoption_feed_url(context, **filters) -> str:
    """The Atom feed of what a page shows: the filters given (a family page: family=its slug), else the
    feed's filters in the page's own query (the adoption list, the map)."""
    from adoption.feeds import feed_query, feed_url

    given = {key: value for key, value in filters.items() if value not in (None, "")}
    if given:
        return feed_url(given)
    request = context.get("request")
    return feed_url(feed_query(request.GET) if request is not None else {})


@register.simple_tag
def qs(**params) -> str:
    """A query string from keyword arguments, skipping empty ones."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


# Bars and swatches are tiny SVGs: their widths and colours are attributes, which the Content-Security-
# Policy allows (inline style="" attributes it would block).


@register.simple_tag
def swatch(colour: str) -> str:
    return format_html(
        '<svg class="swatch" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">'
        '<rect width="14" height="14" fill="{}"/></svg>', colour,
    )


@register.simple_tag
def splitbar(segments, label: str = "") -> str:
    """A horizontal 100% bar: segments are dicts with name, count, share (0..1) and colour."""
    segments, rects, x = list(segments), [], 0.0
    # Adopters' shares may add up to more than 1 (one adopter under several keys): the bar keeps their
    # proportions within its width; the titles and label keep the true shares.
    scale = 100 / max(1.0, sum(float(segment["share"]) for segment in segments))
    # Coordinates are f-strings (never localized: "0,5" is no SVG number); the texts are in the reader's language.
    names = [_place_name(segment.get("key"), segment["name"]) for segment in segments]
    for segment, name in zip(segments, names, strict=True):
        width = float(segment["share"]) * scale
        title = _("%(name)s: %(count)s (%(share)s)") % {
            "name": name, "count": intcomma(segment["count"]), "share": percent(segment["share"])}
        rects.append(format_html(
            '<rect x="{}" width="{}" height="10" fill="{}"><title>{}</title></rect>',
            f"{x:.3f}", f"{width:.3f}", segment["colour"], title,
        ))
        x += width
    text = label or ", ".join(
        _("%(name)s %(share)s") % {"name": name, "share": percent(segment["share"])}
        for segment, name in zip(segments, names, strict=True)
    )
    return format_html(
        '<svg class="splitbar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="{}">{}</svg>',
        text, mark_safe("".join(rects)),  # noqa: S308 -- each rect was built by format_html above
    )


@register.simple_tag
def field_group(field):
    """Django's label, help text, errors and widget for a field, with labels that end without a colon."""
    field.form.label_suffix = ""
    return field.as_field_group()


ROLE_NAMES = {"contributor": pgettext_lazy("role", "contributor"), "curator": pgettext_lazy("role", "curator")}


@register.filter
def role_name(name: str) -> str:
    """A role (a group's name, which stays English in the database) in the reader's language."""
    return str(ROLE_NAMES.get(name, name))


@register.filter
def field_labels(names) -> str:
    """A correction's field names (`stage`, `product_name`) as the record's field labels, comma-separated."""
    labels = []
    for name in names:
        try:
            labels.append(str(Adoption._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            labels.append(name)
    return ", ".join(labels)
