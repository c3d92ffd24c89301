"""Writes to the catalogue: organizations, model families and checkpoints.

Each function validates with full_clean() first, writes history (django-simple-history records the
acting user), and refuses an edit made on a stale version.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from adoption.geonames import city_coordinates
from adoption.maps import upkeep
from adoption.models import Checkpoint, ModelFamily, Organization
from adoption.text import visible_name

from .workflow import check_version

MAP_FIELDS = frozenset({"country", "city", "kind"})

ORGANIZATION_FIELDS = (
    "name", "kind", "country", "city", "latitude", "longitude", "aliases", "website", "hf_handle", "parent", "notes",
)
FAMILY_FIELDS = (
    "name", "developer", "origin_country", "default_license", "first_release", "first_release_precision",
    "hub_prefixes", "notes",
)
CHECKPOINT_FIELDS = (
    "family", "repo_id", "name", "parameters", "release_date", "license", "open_weights", "derived_from",
)


def unique_slug(model, text: str, *, field: str = "slug", max_length: int = 200) -> str:
    """A slug of `text` not yet used by `model` (adds -2, -3, ... on a clash)."""
    base = slugify(text)[: max_length - 6] or "item"
    slug, n = base, 1
    while model._default_manager.filter(**{field: slug}).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _set_history_user(instance, user) -> None:
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user


def _save(instance, user) -> None:
    if isinstance(instance, Organization):
        instance.name = visible_name(instance.name)
        if isinstance(instance.aliases, list):  # (anything else is full_clean's to refuse)
            instance.aliases = [visible_name(alias) if isinstance(alias, str) else alias for alias in instance.aliases]
        instance.name_keys = instance.match_keys()
    instance.full_clean()
    _set_history_user(instance, user)
    instance.save()


def _update(model, instance, data: dict, allowed: tuple[str, ...], user, expected_version: int | None,
            before_save=None):
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=instance.pk)
        check_version(locked, expected_version)
        unknown = set(data) - set(allowed)
        if unknown:
            raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
        for name, value in data.items():
            setattr(locked, name, value)
        if before_save:
            before_save(locked)
        locked.version += 1
        _save(locked, user)
    return locked


def _locate(org: Organization) -> None:
    """Fill coordinates from the city when none were given."""
    coords = org.latitude is None and city_coordinates(org.city, org.country_id or "")
    if coords:
        org.latitude, org.longitude = coords


@transaction.atomic
def organization_create(*, user=None, name: str, is_published: bool = True, slug: str | None = None, **fields):
    """Create an organization; a proposed one (with a submission) stays unpublished until approval."""
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown organization fields: {', '.join(sorted(unknown))}")
    org = Organization(
        name=name.strip(), slug=slug or unique_slug(Organization, name), is_published=is_published,
        created_by=user if getattr(user, "is_authenticated", False) else None, **fields,
    )
    _locate(org)
    _save(org, user)
    return org


def organization_update(*, organization: Organization, user, data: dict, expected_version: int | None = None):
    def relocate(org):
        # A new city moves the dot on the map unless coordinates were given with it.
        if "city" in data and "latitude" not in data:
            org.latitude = org.longitude = None
            _locate(org)

    # The maps keep the adopter's country, city and kind with each published record: move them along.
    if MAP_FIELDS & set(data):
        with upkeep.adopter_changing(organization):
            return _update(Organization, organization, data, ORGANIZATION_FIELDS, user, expected_version, relocate)
    return _update(Organization, organization, data, ORGANIZATION_FIELDS, user, expected_version, relocate)


def organization_repropose(*, organization: Organization, user, **fields) -> Organization:
    """A proposed organization that no one else's live record names, proposed again: it takes the new
    proposal's details (the kind, country and city given) and proposer. Its name stays: the new one
    matched it up to case, accents and spacing, or was one of its aliases."""
    data = {key: value for key, value in fields.items() if value}
    unknown = set(data) - {"kind", "country", "city"}
    if unknown:
        raise ValueError(f"Unknown organization fields: {', '.join(sorted(unknown))}")
    if organization.is_published:
        raise ValueError("Only a proposed (unpublished) organization is proposed again.")

    def take_over(org):
        if getattr(user, "is_authenticated", False):
            org.created_by = user
        if "city" in data:
            org.latitude = org.longitude = None
            _locate(org)

    return _update(Organization, organization, data, tuple(data), user, None, take_over)


def organization_publish(*, organization: Organization, user=None) -> Organization:
    """Publish a proposed organization (called when its first submission is approved)."""
    if organization.is_published:
        return organization
    organization.is_published = True
    _set_history_user(organization, user)
    organization.save(update_fields=["is_published", "updated_at"])
    return organization


@transaction.atomic
def family_create(*, user=None, slug: str, name: str, **fields) -> ModelFamily:
    unknown = set(fields) - set(FAMILY_FIELDS)
    if unknown:
        raise ValueError(f"Unknown family fields: {', '.join(sorted(unknown))}")
    family = ModelFamily(slug=slug, name=name, **fields)
    if family.origin_country_id is None and family.developer_id:
        family.origin_country_id = family.developer.country_id
    _save(family, user)
    return family


def family_update(*, family: ModelFamily, user, data: dict, expected_version: int | None = None) -> ModelFamily:
    # The maps split by the family's origin: a new origin moves its adopters' presence and the data version.
    if "origin_country" in data:
        with upkeep.family_changing(family):
            return _update(ModelFamily, family, data, FAMILY_FIELDS, user, expected_version)
    return _update(ModelFamily, family, data, FAMILY_FIELDS, user, expected_version)


@transaction.atomic
def checkpoint_create(*, user=None, family: ModelFamily, repo_id: str, **fields) -> Checkpoint:
    unknown = set(fields) - set(CHECKPOINT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown checkpoint fields: {', '.join(sorted(unknown))}")
    checkpoint = Checkpoint(family=family, repo_id=repo_id.strip(), **fields)
    _save(checkpoint, user)
    return checkpoint


def checkpoint_update(*, checkpoint: Checkpoint, user, data: dict, expected_version: int | None = None) -> Checkpoint:
    family = data.get("family")
    if family is not None and family.pk != checkpoint.family_id and checkpoint.adoptions.exists():
        # A record's checkpoint belongs to the record's family (checkpoint_fits_family): a cited one stays.
        raise ValidationError({"family": [_("Adoptions cite this checkpoint under its current family.")]})
    return _update(Checkpoint, checkpoint, data, CHECKPOINT_FIELDS, user, expected_version)
