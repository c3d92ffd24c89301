"""What the admin classes share: service-backed saves with version checks, and decision pages.

The admin writes nothing itself: catalogue saves call the catalogue services, workflow decisions call
the moderation services, and history is never reverted from the admin (that would bypass them).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from adoption.choices import LinkStatus
from adoption.roles import is_curator
from adoption.services.errors import StaleVersion, WorkflowError

LINK_COLOURS = {
    LinkStatus.OK: "#1b7f3b", LinkStatus.REDIRECTED: "#8a6d00", LinkStatus.BROKEN: "#b42318",
    LinkStatus.BLOCKED: "#b42318", LinkStatus.UNCHECKED: "#666",
}


def link_health(evidence) -> str:
    """The source's link health as a coloured label, with the time of the last check."""
    checked = f" ({evidence.link_checked_at:%Y-%m-%d %H:%M})" if evidence.link_checked_at else ""
    return format_html(
        '<strong style="color:{}">{}</strong>{}', LINK_COLOURS.get(evidence.link_status, "#666"),
        evidence.get_link_status_display(), checked,
    )


class HistoryAdmin(SimpleHistoryAdmin):
    """History visible on every record; restoring an old version is off, since it would skip the services."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's view saves a POSTed old version whatever revert_disabled says (it only hides
        # the button): that would rewrite a published record, status included, past every service.
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied(_("Old versions are shown, never restored: edit through the services."))
        return super().history_form_view(request, object_id, version_id, extra_context)


class VersionedForm(forms.ModelForm):
    """Carries the version the editor loaded; saving over someone else's newer change is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("expected_version")
        if self.instance.pk and expected is not None:
            from adoption.services.workflow import check_version

            current = type(self.instance)._default_manager.get(pk=self.instance.pk)
            try:
                check_version(current, expected)
            except StaleVersion as exc:
                raise ValidationError(str(exc), code="stale_version") from exc
        return cleaned


class ServiceAdmin(HistoryAdmin):
    """Saves through `create_service` / `update_service` (catalogue services) instead of `obj.save()`."""

    form = VersionedForm
    service_fields: tuple[str, ...] = ()
    readonly_fields = ("version", "created_at", "updated_at")

    def create(self, request, obj, data: dict):
        raise NotImplementedError

    def update(self, request, obj, data: dict, expected_version):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.service_fields if name in form.cleaned_data}
        if change:
            data = {name: value for name, value in data.items() if name in form.changed_data}
            saved = self.update(request, obj, data, form.cleaned_data.get("expected_version"))
        else:
            saved = self.create(request, obj, data)
        # The admin goes on with `obj` (log entry, redirect): give it the saved row's state.
        obj.__dict__.update({f.attname: getattr(saved, f.attname) for f in saved._meta.concrete_fields})
        obj._state.adding = False


class CommentForm(forms.Form):
    """The comment a decision asks for (required for reject, request changes, retract)."""

    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), required=False, strip=True,
        help_text=gettext_lazy("Shown to the contributor and kept in the record's moderation log."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, needs_comment: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = needs_comment
        if needs_comment:
            self.fields["comment"].help_text = _(
                "Required: say why. Shown to the contributor and kept in the record's moderation log.")


def require_curator(request) -> None:
    if not is_curator(request.user):
        raise PermissionDenied(_("Only curators can decide."))


def apply_to_each(request, objects, label: str, call) -> tuple[list, list]:
    """Run `call(obj)` (a service) on each object in its own transaction; report what was refused and why.

    Rows the workflow forbids (four eyes, the transition table, a stale version, invalid data) are
    skipped and listed; the rest are applied."""
    done, refused = [], []
    for obj in objects:
        try:
            call(obj)
        except (WorkflowError, PermissionDenied) as exc:
            refused.append((obj, str(exc)))
        except ValidationError as exc:
            refused.append((obj, " ".join(exc.messages)))
        else:
            done.append(obj)
    if done:
        messages.success(request, ngettext(
            "%(action)s: %(count)s done (%(records)s).", "%(action)s: %(count)s done (%(records)s).", len(done),
        ) % {"action": label, "count": len(done), "records": ", ".join(f"#{obj.pk}" for obj in done)})
    if refused:
        details = " ".join(f"#{obj.pk}: {reason}" for obj, reason in refused)
        messages.error(request, ngettext(
            "%(action)s: %(count)s refused and left unchanged. %(details)s",
            "%(action)s: %(count)s refused and left unchanged. %(details)s", len(refused),
        ) % {"action": label, "count": len(refused), "details": details})
    return done, refused


def decision_page(request, model_admin, *, title: str, objects, form, action_name: str | None, extra=None):
    """The intermediate page that asks for the comment, for one record or a changelist selection."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title, "objects": objects, "form": form, "action_name": action_name,
        "opts": model_admin.model._meta, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        **(extra or {}),
    }
    return TemplateResponse(request, "admin/adoption/decision.html", context)


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the services or commands write (webhooks, unsent tasks, upload reports): staff read them here and
    may delete one, never add or edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ViewOnlyAdmin):
    """What is kept for good (reference data, the moderation log, merges): read only, not even deleted here."""

    def has_delete_permission(self, request, obj=None):
        return False
