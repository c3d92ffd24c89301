"""Admin for the reference geography (read-only) and the catalogue (saved through its services)."""

from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from adoption.models import Checkpoint, Country, ModelFamily, Organization, OrganizationMerge, Region
from adoption.services import catalogue

from .base import ReadOnlyAdmin, ServiceAdmin


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)


@admin.register(Country)
class CountryAdmin(ReadOnlyAdmin):
    list_display = ("iso2", "name", "iso3", "numeric", "region", "subregion", "ldc", "lldc", "sids")
    list_filter = ("region", "subregion", "ldc", "lldc", "sids")
    search_fields = ("iso2", "iso3", "numeric", "name")
    list_select_related = ("region", "subregion")


class RegionListFilter(admin.SimpleListFilter):
    """M49 region or sub-region of the country at `country_path`."""

    title = gettext_lazy("region")
    parameter_name = "region"
    country_path = "country"

    def lookups(self, request, model_admin):
        regions = Region.objects.filter(level__in=("region", "subregion")).order_by("name")
        return [(r.code, f"{r.local_name} ({r.code})") for r in regions]

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        path = self.country_path
        return queryset.filter(**{f"{path}__region_id": code}) | queryset.filter(**{f"{path}__subregion_id": code})


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    list_display = ("name", "kind", "country", "city", "is_published", "adoption_count", "parent")
    list_filter = ("kind", ("country", admin.RelatedOnlyFieldListFilter), RegionListFilter, "is_published")
    search_fields = ("name", "slug", "aliases", "city", "hf_handle")
    list_select_related = ("country", "parent")
    autocomplete_fields = ("parent",)
    service_fields = catalogue.ORGANIZATION_FIELDS
    fields = (
        "name", "slug", "aliases", "kind", "country", "city", "latitude", "longitude", "website", "hf_handle",
        "parent", "is_published", "merged_into", "notes", "version", "created_at", "updated_at",
    )
    readonly_fields = ("slug", "is_published", "merged_into", "version", "created_at", "updated_at")
    actions = ["merge_into_another"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(adoption_total=Count("adoptions"))

    @admin.action(description=gettext_lazy("Merge the selected duplicate into another organization…"))
    def merge_into_another(self, request, queryset):
        # The merge page shows what would move and asks for the survivor: one duplicate at a time.
        if queryset.count() != 1:
            self.message_user(request, _("Select one duplicate organization to merge."), messages.WARNING)
            return None
        return redirect("adoption:organization-merge", slug=queryset.get().slug)

    @admin.display(description=gettext_lazy("adoptions"), ordering="adoption_total")
    def adoption_count(self, obj):
        return obj.adoption_total

    def create(self, request, obj, data):
        return catalogue.organization_create(user=request.user, **data)

    def update(self, request, obj, data, expected_version):
        return catalogue.organization_update(
            organization=obj, user=request.user, data=data, expected_version=expected_version
        )


@admin.register(OrganizationMerge)
class OrganizationMergeAdmin(ReadOnlyAdmin):
    """The record of merges (made on the merge page or through the API)."""

    list_display = ("created_at", "source", "target", "actor_username", "comment")
    list_select_related = ("source", "target")
    search_fields = ("source__name", "target__name", "actor_username", "comment")
    fields = ("created_at", "source", "target", "actor_username", "comment", "moved")


class CheckpointInline(admin.TabularInline):
    model = Checkpoint
    fields = ("repo_id", "parameters", "release_date", "license", "open_weights")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ModelFamily)
class ModelFamilyAdmin(ServiceAdmin):
    list_display = ("name", "slug", "developer", "origin_country", "default_license", "first_release")
    list_filter = (("origin_country", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "slug", "developer__name")
    list_select_related = ("developer", "origin_country")
    autocomplete_fields = ("developer",)
    inlines = (CheckpointInline,)
    service_fields = ("slug", *catalogue.FAMILY_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        # The slug is the family's public address; it is set once.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def create(self, request, obj, data):
        return catalogue.family_create(user=request.user, **data)

    def update(self, request, obj, data, expected_version):
        data.pop("slug", None)
        return catalogue.family_update(family=obj, user=request.user, data=data, expected_version=expected_version)


@admin.register(Checkpoint)
class CheckpointAdmin(ServiceAdmin):
    list_display = ("repo_id", "family", "parameters", "release_date", "license", "open_weights", "derived_from")
    list_filter = ("family", "open_weights", ("family__origin_country", admin.RelatedOnlyFieldListFilter))
    search_fields = ("repo_id", "name", "family__name")
    list_select_related = ("family", "derived_from")
    autocomplete_fields = ("derived_from",)
    service_fields = catalogue.CHECKPOINT_FIELDS

    def create(self, request, obj, data):
        return catalogue.checkpoint_create(user=request.user, **data)

    def update(self, request, obj, data, expected_version):
        return catalogue.checkpoint_update(
            checkpoint=obj, user=request.user, data=data, expected_version=expected_version
        )

