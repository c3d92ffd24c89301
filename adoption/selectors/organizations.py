"""Which organization a slug, a name or an alias means, and to whom.

Who may name which organization is the queryset's rule (OrganizationQuerySet.selectable_by): another
contributor's proposal is never among them. Names compare as adoption.text.name_key does: case,
accents, spacing and punctuation aside. The index and country pages' lists of organizations with
their count of published records are here too.
"""

from django.db.models import Count, Q

from adoption.choices import Status
from adoption.models import Adoption, Organization
from adoption.search import search_names
from adoption.text import name_key

_LIVE_STATUSES_EXCLUDED = (Status.REJECTED, Status.WITHDRAWN)


def organizations_named(name: str, country_id: str | None = None, *, among=None) -> list[Organization]:
    """Organizations of `among` (default: all of them, as a proposal matches anyone's shared proposal;
    the caller then reveals no more than that it awaits review), merged ones aside, whose name or an alias
    is `name` up to case, accents, spacing and punctuation: in `country_id` or without a country (in any
    country when none is given); those of that very country first, then published ones, then the oldest."""
    key = name_key(name)
    if not key:
        return []
    found = (Organization.objects.all() if among is None else among).filter(
        merged_into__isnull=True, name_keys__contains=f"|{key}|"
    )
    if country_id:
        found = found.filter(Q(country_id=country_id) | Q(country__isnull=True))
    return sorted(found, key=lambda org: (org.country_id != country_id, not org.is_published, org.pk))


def organization_by_slug(slug: str, *, user) -> Organization | None:
    """The organization `user` may name by this slug (a merged one's survivor in its place), else None:
    another contributor's proposal answers as an unknown slug does."""
    slug = (slug or "").strip()
    if not slug or "\x00" in slug:  # PostgreSQL refuses NUL in a lookup
        return None
    # Slugs are case-insensitive (DESIGN §4); an exact match first keeps the common case on the index.
    candidates = Organization.objects.selectable_by(user).select_related("merged_into")
    org = candidates.filter(slug=slug).first() or candidates.filter(slug__iexact=slug).first()
    return org.survivor if org is not None else None


def organization_by_name(text: str, *, user) -> Organization | None:
    """The organization a contributor typed as the adopter: its slug, else its name or an alias up to case,
    accents, spacing and punctuation, among those `user` may name; None when there is none."""
    found = organization_by_slug(text, user=user)
    if found is None:
        named = organizations_named(text, among=Organization.objects.selectable_by(user))
        found = named[0] if named else None
    return found


def adopter_choices(user):
    """Organizations `user` may name as an adopter (merged ones aside), by name: the contribution form's
    list and its search as you type."""
    return Organization.objects.selectable_by(user).filter(merged_into__isnull=True).order_by("name")


def organizations_matching(queryset, text: str):
    """Organizations of `queryset` whose name, slug or an alias contains `text`, case and accents ignored,
    or whose name or an alias does so ignoring spacing and punctuation too ('kigali speech coop', 'ABEJA Inc')."""
    found = search_names(queryset, text, ("name", "slug"), ("aliases",))
    key = name_key(text)
    return (found | queryset.filter(name_keys__contains=key)).distinct() if key else found


def organization_has_live_records(organization: Organization, *, besides) -> bool:
    """Whether a record of someone other than `besides` still names the organization (rejected and
    withdrawn ones do not count): a proposed organization nobody else uses may be proposed afresh."""
    return (Adoption.objects.filter(adopter=organization).exclude(status__in=_LIVE_STATUSES_EXCLUDED)
            .exclude(created_by=besides).exists())


def country_adopters(country):
    """Published organizations of a country with their count of published adoptions, most active first."""
    return (
        Organization.objects.published().filter(country=country)
        .annotate(published_adoptions=Count("adoptions", filter=Q(adoptions__status=Status.PUBLISHED)))
        .filter(published_adoptions__gt=0)
        .order_by("-published_adoptions", "name")
    )


def organization_counts(queryset):
    """`queryset` (organizations) with `published_adoptions` and `families_developed`."""
    return queryset.annotate(
        published_adoptions=Count("adoptions", filter=Q(adoptions__status=Status.PUBLISHED), distinct=True),
        families_developed=Count("families", distinct=True),
    )
