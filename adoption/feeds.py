"""The Atom feed of the registry (`/feeds/adoptions.atom`): the last publications, changes and retractions,
newest first, with the adoption list's filters (an unknown parameter or value answers 400, as the list does).

Pages link the feed of what they show (`feed_query` turns a page's query into the feed's).
"""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from adoption.filtersets import AdoptionEventFilterSet
from adoption.models import Adoption
from adoption.selectors import events


class BadFilters(Exception):
    """The query names a parameter or value the filters do not know."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class FeedQuery:
    """What one request of the feed asks for: the records (FilterSet), its query as cleaned, its host."""

    filterset: AdoptionEventFilterSet
    query: dict
    domain: str


def event_filterset(data) -> AdoptionEventFilterSet:
    """The feed's and webhooks' filters over the records events can be about."""
    return AdoptionEventFilterSet(data or None, queryset=events.followable_adoptions())


def feed_query(params) -> dict[str, str]:
    """The feed parameters of a page's query (its other parameters dropped), cleaned; {} when they are not
    valid (the page shows the errors; its feed link then follows everything)."""
    names = set(AdoptionEventFilterSet.base_filters)
    data = params.copy() if hasattr(params, "copy") else dict(params)
    for key in list(data):
        if key not in names:
            del data[key]
    if not data:
        return {}
    filterset = event_filterset(data)
    return filterset.form.query() if filterset.is_valid() else {}


def follow_query(filterset) -> dict[str, str]:
    """The feed parameters of a valid list FilterSet (its ordering and pages dropped)."""
    if not filterset.is_bound:
        return {}
    names = set(AdoptionEventFilterSet.base_filters)
    return {key: value for key, value in filterset.form.query().items() if key in names}


def feed_url(query: dict | None = None) -> str:
    path = reverse("adoption:adoption-feed")
    return f"{path}?{urlencode(query)}" if query else path


def _field_name(field: str) -> str:
    """A record's field as readers call it (the model's verbose name, in their language)."""
    try:
        return str(Adoption._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # a name of the change only: readable as is
        return field.replace("_", " ")


class AdoptionFeed(Feed):
    """Atom 1.0 through Django's syndication framework; one entry per public event."""

    feed_type = Atom1Feed
    language = "en"
    title = gettext_lazy("Model Adoption Registry: publications, changes and retractions")
    subtitle = gettext_lazy("The latest records published, changed or retracted in the registry, newest first.")

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except BadFilters as exc:
            lines = [f"{key}: {message}" for key, messages in exc.errors.items() for message in messages]
            return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")

    def get_feed(self, obj, request):
        # The feed is the same bytes in every language (an API answer, cached and shared): English, as its
        # entries' titles and webhooks are; only a 400's error messages follow the reader (get_object).
        with translation.override("en"):
            return super().get_feed(obj, request)

    def get_object(self, request, *args, **kwargs) -> FeedQuery:
        filterset = event_filterset(request.GET)
        if filterset.is_bound and not filterset.is_valid():
            raise BadFilters(filterset.form.errors)
        query = filterset.form.query() if filterset.is_bound else {}
        return FeedQuery(filterset, query, request.get_host().split(":")[0])

    def link(self, obj: FeedQuery) -> str:
        path = reverse("adoption:adoption-list")
        return f"{path}?{urlencode(obj.query)}" if obj.query else path

    def feed_url(self, obj: FeedQuery) -> str:
        return feed_url(obj.query)

    def items(self, obj: FeedQuery):
        found = events.public_events(obj.filterset.qs)
        for event in found:
            event.feed_domain = obj.domain  # the entry's id names the site it comes from
        return found

    def item_title(self, item) -> str:
        return events.event_title(item)  # Atom titles are text: the generator escapes it for XML

    def item_description(self, item) -> str:
        """HTML (Atom `type="html"`): every piece of a record's own text is escaped into it."""
        adoption = item.adoption
        parts = []
        if adoption.product_name:
            parts.append(format_html("<p>{}</p>", _("Product: %(name)s") % {"name": adoption.product_name}))
        if adoption.summary:
            parts.append(format_html("<p>{}</p>", adoption.summary))
        if fields := events.changed_fields(item):
            names = ", ".join(_field_name(field) for field in fields)
            parts.append(format_html("<p>{}</p>", _("Changed: %(fields)s") % {"fields": names}))
        if item.comment:
            parts.append(format_html("<p>{}</p>", _("Reason: %(comment)s") % {"comment": item.comment}))
        return format_html_join("", "{}", ((part,) for part in parts))

    def item_link(self, item) -> str:
        return reverse("adoption:adoption-detail", args=[item.adoption_id])

    def item_guid(self, item) -> str:
        return f"tag:{item.feed_domain},{item.created_at:%Y-%m-%d}:adoption-event/{item.pk}"

    item_guid_is_permalink = False

    def item_updateddate(self, item):
        return item.created_at

    def item_pubdate(self, item):
        return item.created_at

    def item_categories(self, item):
        return [events.event_kind(item)]
