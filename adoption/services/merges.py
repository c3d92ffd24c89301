"""Merging a duplicate organization into the one that survives (DESIGN §3): never a silent delete.

Everything that names the duplicate moves to the survivor in one transaction: its records (each with a
history row saying why), the records it partners, its child organizations, the families it develops,
its names (kept as aliases) and its Hugging Face handle. The duplicate keeps its row, pointing at the
survivor, so its old URLs answer 301; one `OrganizationMerge` row records who merged, why and what moved.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from adoption.maps import upkeep
from adoption.models import Adoption, ModelFamily, Organization, OrganizationMerge
from adoption.roles import is_curator
from adoption.services.data_version import data_version_bump

from .catalogue import _save
from .errors import ActionForbidden

HISTORY_REASON = "merged {source} into {target}"


class MergeRefused(ValueError):
    """The merge cannot be done as asked (the message says why)."""


def organization_merge_target(*, source: Organization, target: Organization) -> Organization:
    """The organization a merge of `source` into `target` ends in: a merged target is followed to its
    survivor. Refuses a merge into itself and one that would make a loop."""
    if source.merged_into_id:
        raise MergeRefused(_("%(source)s was already merged into %(target)s.")
                           % {"source": source.name, "target": source.survivor.name})
    end = target.survivor
    if end.merged_into_id:  # the chain of `target` loops on itself (never made here, but refuse it)
        raise MergeRefused(_("The merges of %(name)s form a loop; fix them in the admin first.")
                           % {"name": target.name})
    if end.pk == source.pk:
        if end.pk == target.pk:
            raise MergeRefused(_("An organization cannot be merged into itself."))
        raise MergeRefused(_("%(target)s was merged into %(source)s: merging back would make a loop.")
                           % {"target": target.name, "source": source.name})
    return end


def organization_merge_preview(*, source: Organization, target: Organization) -> dict:
    """What a merge of `source` into `target` would move, without moving it (the confirmation page and
    the API show it): {"target", "records", "partnered_records", "children", "families", "aliases",
    "hf_handle"}."""
    target = organization_merge_target(source=source, target=target)
    return {
        "target": target,
        "records": list(source.adoptions.order_by("pk").values_list("pk", flat=True)),
        "partnered_records": list(Adoption.objects.filter(partners=source).order_by("pk")
                                  .values_list("pk", flat=True)),
        "children": list(Organization.objects.filter(parent=source).exclude(pk=target.pk).order_by("pk")
                         .values_list("slug", flat=True)),
        "families": list(ModelFamily.objects.filter(developer=source).order_by("pk").values_list("slug", flat=True)),
        "aliases": _new_aliases(source, target),
        "hf_handle": source.hf_handle if source.hf_handle and not target.hf_handle else "",
    }


def _new_aliases(source: Organization, target: Organization) -> list[str]:
    """The source's names the target does not bear yet (compared as the duplicate matching compares them)."""
    known = set(filter(None, target.match_keys().split("|")))
    aliases = []
    for name in source.all_names:
        key = Organization(name=name, aliases=[]).match_keys().strip("|")
        if key and key not in known:
            known.add(key)
            aliases.append(name)
    return aliases


def organization_merge(*, source: Organization, target: Organization, user, comment: str = "") -> OrganizationMerge:
    """Merge the duplicate `source` into `target` (followed to its survivor), as a curator."""
    if not is_curator(user):
        raise ActionForbidden(_("Only curators merge organizations."))
    with transaction.atomic():
        # Both rows locked in a fixed order, so two merges of the same pair never interleave.
        pair = {org.pk: org for org in Organization.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
                .order_by("pk")}
        source, target = pair[source.pk], pair[target.pk]
        preview = organization_merge_preview(source=source, target=target)
        target = preview["target"]
        if target.pk not in pair:
            target = Organization.objects.select_for_update().get(pk=target.pk)
        reason = HISTORY_REASON.format(source=source.slug, target=target.slug)[:100]

        try:
            _move_records(source, target, reason, user)
            _move_partners(source, target, reason, user)
            for child in Organization.objects.filter(parent=source).exclude(pk=target.pk):
                _resave(child, user, reason, parent=target)
            for family in ModelFamily.objects.filter(developer=source):
                _resave(family, user, reason, developer=target)
            # The duplicate first: once merged, its name no longer stands in the survivor's way.
            _resave(source, user, reason, merged_into=target,
                    hf_handle="" if preview["hf_handle"] else source.hf_handle)
            changes = {"aliases": [*target.aliases, *preview["aliases"]]}
            if preview["hf_handle"]:
                changes["hf_handle"] = preview["hf_handle"]
            if target.parent_id == source.pk:  # the survivor was the duplicate's child: it takes its place
                changes["parent"] = source.parent
            if not target.is_published and source.is_published:  # shown wherever the duplicate was
                changes["is_published"] = True
            _resave(target, user, reason, **changes)
        except ValidationError as exc:  # data the merge would leave invalid: say what, change nothing
            raise MergeRefused(" ".join(exc.messages)) from exc
        data_version_bump()
        return OrganizationMerge.objects.create(
            source=source, target=target, actor=user, actor_username=user.get_username(), comment=comment,
            moved={key: value for key, value in preview.items() if key != "target"},
        )


def _resave(instance, user, reason: str, **changes) -> None:
    """Change and save a catalogue row as its services do: validated, versioned, a history row saying why."""
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.version += 1
    instance._change_reason = reason
    _save(instance, user)


def _move_records(source: Organization, target: Organization, reason: str, user) -> None:
    """Re-point the source's records; the published ones move on the maps (their spans reopen under the
    target's place, a delta for each), so totals stay and counts move in place."""
    records = list(Adoption.objects.select_for_update().filter(adopter=source).order_by("pk"))
    for record in records:
        record.adopter = target
        record.version += 1
        record._change_reason = reason
        record._history_user = user
        record.save(update_fields=["adopter", "version", "updated_at"])
    if records:
        upkeep.spans_reopen("adoption_id", [record.pk for record in records], deltas=True)


def _move_partners(source: Organization, target: Organization, reason: str, user) -> None:
    """The records the source partners name the target instead (not twice, never their own adopter)."""
    for record in Adoption.objects.select_for_update().filter(partners=source).order_by("pk"):
        record.partners.remove(source)
        if record.adopter_id != target.pk:
            record.partners.add(target)
        record.version += 1
        record._change_reason = reason
        record._history_user = user
        record.save(update_fields=["version", "updated_at"])

