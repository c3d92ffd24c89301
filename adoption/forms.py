"""Forms of the pages: the contribution form with its sources, decisions, change requests.

Forms only read and shape input; every write goes through the services, whose ValidationError is put
back on the form by `apply_service_errors` so the page shows each message at its field.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from adoption.choices import EvidenceKind, OrganizationKind, Relation, Stage
from adoption.dates import format_partial_date, parse_partial_date
from adoption.filtersets import MapFilterSet, MapOptionsForm
from adoption.localnames import place_name
from adoption.models import Checkpoint, Country, ModelFamily, Organization
from adoption.models.records import validate_checkpoint_family
from adoption.selectors import change_values_json
from adoption.selectors.organizations import organization_by_name
from adoption.services.records import split_list

ADOPTER_EXISTING, ADOPTER_NEW = "existing", "new"


class CheckpointSelect(forms.Select):
    """A select whose options carry their family id, so the page script can show one family's checkpoints."""

    def __init__(self, *args, families: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.families = families or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        family = self.families.get(str(value))
        if family:
            option["attrs"]["data-family"] = family
        return option


class AdoptionForm(forms.Form):
    """What a contributor says about one adoption (sources come in EvidenceFormSet)."""

    adopter_choice = forms.ChoiceField(
        label=gettext_lazy("Adopter"), widget=forms.RadioSelect, initial=ADOPTER_EXISTING,
        choices=[(ADOPTER_EXISTING, gettext_lazy("An organization already in the registry")),
                 (ADOPTER_NEW, gettext_lazy("A new organization"))],
    )
    adopter = forms.CharField(
        label=gettext_lazy("Organization"), max_length=200, required=False,
        help_text=gettext_lazy("Type its name; suggestions appear as you type."),
        widget=forms.TextInput(attrs={"list": "adopter-options", "autocomplete": "off", "data-adopter-search": ""}),
    )
    new_name = forms.CharField(label=gettext_lazy("Name of the new organization"), max_length=200, required=False)
    new_kind = forms.ChoiceField(
        # Translators: the kind of an organization (government, university, startup...).
        label=pgettext_lazy("organization kind", "Kind"),
        choices=[("", gettext_lazy("Unknown")), *OrganizationKind.choices], required=False,
    )
    new_country = forms.ModelChoiceField(
        label=gettext_lazy("Country"), queryset=Country.objects.order_by("name"), required=False,
        to_field_name="iso2",
        empty_label=gettext_lazy("Unknown"),
    )
    new_city = forms.CharField(label=gettext_lazy("City"), max_length=120, required=False)

    family = forms.ModelChoiceField(
        # Translators: a family of open-weight base models (e.g. Llama, Qwen) that others build on.
        label=gettext_lazy("Base model family"), queryset=ModelFamily.objects.order_by("name"),
        to_field_name="slug",
        empty_label=gettext_lazy("Choose a family"),
    )
    checkpoint = forms.ChoiceField(
        # Translators: a checkpoint is one released set of a model's weights (a repo id on Hugging Face).
        label=gettext_lazy("Checkpoint (optional)"), required=False,
        help_text=gettext_lazy("The released weights it builds on, when the source names them."),
    )
    relation = forms.ChoiceField(
        label=gettext_lazy("How it builds on the family"),
        choices=[("", gettext_lazy("Choose a relation")), *Relation.choices],
    )
    # Translators: how far an adoption went (announced, pilot, production, discontinued).
    stage = forms.ChoiceField(label=pgettext_lazy("adoption stage", "Stage"), choices=Stage.choices,
                              initial=Stage.ANNOUNCED)
    product_name = forms.CharField(label=gettext_lazy("Product or derived model"), max_length=300, required=False)
    product_url = forms.CharField(
        label=gettext_lazy("Its repo id or URL"), max_length=500, required=False,
        help_text=gettext_lazy("e.g. aisingapore/Gemma-SEA-LION-v4-27B-IT or https://example.gov/assistant"),
    )
    started = forms.CharField(
        label=gettext_lazy("Started"), max_length=10, required=False,
        help_text=gettext_lazy("YYYY, YYYY-MM or YYYY-MM-DD: as precise as the source says."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2025-03"}),
    )
    ended_on = forms.DateField(
        label=gettext_lazy("Ended (optional)"), required=False,
        help_text=gettext_lazy("For a discontinued use: YYYY-MM-DD."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sectors = forms.CharField(
        label=gettext_lazy("Sectors"), max_length=500, required=False,
        help_text=gettext_lazy("Comma-separated, e.g. health, public services."),
    )
    languages = forms.CharField(
        label=gettext_lazy("Languages served"), max_length=300, required=False,
        help_text=gettext_lazy("ISO 639 codes, comma-separated, e.g. ms, id, th."),
    )
    summary = forms.CharField(
        label=gettext_lazy("Summary"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("A few plain sentences: what was built and how it uses the base model."),
    )

    def __init__(self, *args, user=None, allow_new_adopter: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.adopter_obj: Organization | None = None
        checkpoints = list(Checkpoint.objects.select_related("family").order_by("family__name", "repo_id"))
        groups: dict[str, list] = {}
        for checkpoint in checkpoints:
            groups.setdefault(checkpoint.family.name, []).append((str(checkpoint.pk), checkpoint.repo_id))
        self.fields["checkpoint"].choices = [("", _("Not known")), *groups.items()]
        self.fields["checkpoint"].widget = CheckpointSelect(
            families={str(c.pk): c.family.slug for c in checkpoints}, choices=self.fields["checkpoint"].choices
        )
        self._checkpoints = {str(c.pk): c for c in checkpoints}
        if not allow_new_adopter:
            for name in ("adopter_choice", "new_name", "new_kind", "new_country", "new_city"):
                del self.fields[name]

    @property
    def proposes_new_adopter(self) -> bool:
        return "adopter_choice" in self.fields and self.cleaned_data.get("adopter_choice") == ADOPTER_NEW

    def clean_started(self) -> str:
        value = self.cleaned_data["started"].strip()
        if value:
            date, _precision = parse_partial_date(value)
            if date > timezone.localdate():
                raise ValidationError(_("The start date cannot be in the future."))
        return value

    def clean_ended_on(self):
        value = self.cleaned_data["ended_on"]
        if value and value > timezone.localdate():
            raise ValidationError(_("The end date cannot be in the future."))
        return value

    def clean_checkpoint(self) -> Checkpoint | None:
        value = self.cleaned_data["checkpoint"]
        return self._checkpoints.get(value) if value else None

    def clean_sectors(self) -> list[str]:
        return split_list(self.cleaned_data["sectors"])

    def clean_languages(self) -> list[str]:
        return [code.lower() for code in split_list(self.cleaned_data["languages"])]

    def clean(self):
        data = super().clean()
        if self.proposes_new_adopter:
            name = (data.get("new_name") or "").strip()
            if not name:
                self.add_error("new_name", _("Give the name of the new organization."))
            # A name already in the registry is no error: the service attaches the record to it.
        else:
            text = data.get("adopter", "")
            if not text.strip():
                self.add_error("adopter", _("Choose the organization that builds on the model."))
            else:
                self.adopter_obj = organization_by_name(text, user=self.user)
                if self.adopter_obj is None:
                    self.add_error(
                        "adopter",
                        _("No organization called “%(name)s” in the registry. Check the spelling, or choose "
                          "“A new organization” to propose it.") % {"name": text.strip()},
                    )
        try:
            validate_checkpoint_family(data.get("checkpoint"), data.get("family"),
                                       _("%(repo_id)s is not a checkpoint of %(family_name)s."))
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def service_data(self) -> dict:
        """The `data` argument of adoption_create / adoption_update."""
        data = self.cleaned_data
        values = {
            "family": data["family"], "checkpoint": data["checkpoint"], "relation": data["relation"],
            "stage": data["stage"], "product_name": data["product_name"], "product_url": data["product_url"],
            "started_on": data["started"] or None, "ended_on": data["ended_on"], "sectors": data["sectors"],
            "languages": data["languages"], "summary": data["summary"],
        }
        if not self.proposes_new_adopter:
            values["adopter"] = self.adopter_obj
        return values

    def new_adopter_data(self) -> dict | None:
        if not self.proposes_new_adopter:
            return None
        data = self.cleaned_data
        return {"name": data["new_name"].strip(), "kind": data["new_kind"], "country": data["new_country"],
                "city": data["new_city"].strip()}

    @staticmethod
    def initial_from(adoption) -> dict:
        """Initial values of the form for an existing record (editing a draft)."""
        return {
            "adopter_choice": ADOPTER_EXISTING, "adopter": adoption.adopter.name, "family": adoption.family,
            "checkpoint": str(adoption.checkpoint_id or ""), "relation": adoption.relation, "stage": adoption.stage,
            "product_name": adoption.product_name, "product_url": adoption.product_url,
            "started": format_partial_date(adoption.started_on, adoption.started_precision),
            "ended_on": adoption.ended_on, "sectors": ", ".join(adoption.sectors),
            "languages": ", ".join(adoption.languages), "summary": adoption.summary,
        }


class EvidenceURLField(forms.URLField):
    """A source's address: one that can never be public evidence (localhost, a private address, ...)
    is refused by the records service's rule, with the reason, before the generic format check."""

    def run_validators(self, value):
        from adoption.services.records import unusable_evidence_url

        if value and (problem := unusable_evidence_url(value)):
            raise ValidationError(problem)
        super().run_validators(value)


class EvidenceForm(forms.Form):
    """One source the record cites."""

    url = EvidenceURLField(
        label=gettext_lazy("Web address"), max_length=2000, assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind of source"), choices=EvidenceKind.choices,
                             initial=EvidenceKind.MODEL_CARD)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=500, required=False)
    publisher = forms.CharField(label=gettext_lazy("Publisher"), max_length=200, required=False)
    published_on = forms.DateField(
        label=gettext_lazy("Published on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("YYYY-MM-DD"),
    )
    quote = forms.CharField(
        label=gettext_lazy("Quoted passage"), max_length=4000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The sentence that says it builds on the model."),
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise ValidationError(_("Enter a web address starting with http:// or https://."))
        return url

    def clean_published_on(self):
        value = self.cleaned_data["published_on"]
        if value and value > timezone.localdate():
            raise ValidationError(_("The publication date cannot be in the future."))
        return value


class BaseEvidenceFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            url = form.cleaned_data.get("url")
            if url in seen:
                form.add_error("url", _("This source is listed twice."))
            seen.add(url)


MAX_SOURCES = 20
# absolute_max caps the rows built from a posted TOTAL_FORMS (Django's default allows 1,000 more than
# max_num): a tampered count is one short error over the rows kept, not a page of a thousand forms.
EvidenceFormSet = formset_factory(
    EvidenceForm, formset=BaseEvidenceFormSet, extra=0, min_num=1, validate_min=True, max_num=MAX_SOURCES,
    absolute_max=MAX_SOURCES, validate_max=True, can_delete=True,
)


def evidence_initial(adoption) -> list[dict]:
    return [
        {"url": e.url, "kind": e.kind, "title": e.title, "publisher": e.publisher,
         "published_on": e.published_on, "quote": e.quote}
        for e in adoption.evidence.all()
    ]


def evidence_payload(formset) -> list[dict]:
    """Clean rows for the services, without the formset's DELETE flag."""
    rows = []
    for form in formset.forms:
        if formset.can_delete and formset._should_delete_form(form):
            continue
        data = form.cleaned_data
        if not data.get("url"):
            continue
        rows.append({name: data.get(name) for name in ("url", "kind", "title", "publisher", "published_on", "quote")})
    return rows


class DecisionForm(forms.Form):
    """A curator's comment with a decision; rejecting and requesting changes need one."""

    comment = forms.CharField(
        label=gettext_lazy("Comment to the contributor"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Required to reject or to request changes; the contributor reads it."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class OrganizationMergeForm(forms.Form):
    """A curator's merge of a duplicate: the organization that survives, why, and (after the preview) yes."""

    into = forms.CharField(
        label=gettext_lazy("Merge into"), max_length=200,
        help_text=gettext_lazy(
            "The slug of the organization that survives, as in its address: /organizations/<slug>/."
        ),
    )
    comment = forms.CharField(label=gettext_lazy("Why they are one organization"),
                              widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)
    # The id of the survivor the curator saw the preview of: a merge happens only once it was previewed.
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, source: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source

    def clean_into(self):
        slug = self.cleaned_data["into"].strip().strip("/").rsplit("/", 1)[-1].lower()
        target = Organization.objects.select_related("merged_into").filter(slug=slug).first()
        if target is None:
            raise ValidationError(_("No organization has this slug."))
        return target


class ImportUploadForm(forms.Form):
    """A file of proposals to check (the default) or import."""

    file = forms.FileField(
        label=gettext_lazy("CSV or JSON Lines file"), allow_empty_file=False,
        help_text=gettext_lazy(
            "UTF-8 CSV with the template's columns, or JSON Lines with one submission per line."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.jsonl,.ndjson,text/csv,application/x-ndjson"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check the file (dry run)"), required=False, initial=True,
        help_text=gettext_lazy(
            "Untick to submit every row at once; nothing is submitted while any row has an error."
        ),
    )


class ChangeRequestForm(forms.Form):
    """A correction to a published record: only fields that differ from the record are proposed."""

    relation = forms.ChoiceField(label=gettext_lazy("How it builds on the family"), choices=Relation.choices)
    stage = forms.ChoiceField(label=pgettext_lazy("adoption stage", "Stage"), choices=Stage.choices)
    checkpoint = forms.ChoiceField(label=gettext_lazy("Checkpoint"), required=False)
    product_name = forms.CharField(label=gettext_lazy("Product or derived model"), max_length=300, required=False)
    product_url = forms.CharField(label=gettext_lazy("Its repo id or URL"), max_length=500, required=False)
    started = forms.CharField(
        label=gettext_lazy("Started"), max_length=10, required=False,
        help_text=gettext_lazy("YYYY, YYYY-MM or YYYY-MM-DD."),
    )
    ended_on = forms.DateField(
        label=gettext_lazy("Ended"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("YYYY-MM-DD"),
    )
    sectors = forms.CharField(label=gettext_lazy("Sectors"), max_length=500, required=False,
                              help_text=gettext_lazy("Comma-separated."))
    languages = forms.CharField(label=gettext_lazy("Languages served"), max_length=300, required=False,
                                help_text=gettext_lazy("ISO 639 codes, comma-separated."))
    summary = forms.CharField(
        label=gettext_lazy("Summary"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    comment = forms.CharField(
        label=gettext_lazy("Why this correction?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Name the source that shows it, so a curator can check."),
    )

    def __init__(self, *args, adoption, **kwargs):
        self.adoption = adoption
        kwargs.setdefault("initial", {
            **AdoptionForm.initial_from(adoption), "checkpoint": str(adoption.checkpoint_id or ""),
        })
        super().__init__(*args, **kwargs)
        choices = [(str(c.pk), c.repo_id) for c in Checkpoint.objects.filter(family=adoption.family_id)]
        self.fields["checkpoint"].choices = [("", _("Not known")), *choices]

    def clean_started(self) -> str:
        value = self.cleaned_data["started"].strip()
        if value:
            parse_partial_date(value)
        return value

    def proposed(self) -> dict:
        """The changed fields as JSON values (the change request's `proposed`)."""
        data = self.cleaned_data
        ended = data["ended_on"].isoformat() if isinstance(data["ended_on"], datetime.date) else None
        values = {
            "relation": data["relation"], "stage": data["stage"],
            "checkpoint": int(data["checkpoint"]) if data["checkpoint"] else None,
            "product_name": data["product_name"].strip(), "product_url": data["product_url"].strip(),
            "started_on": data["started"] or None, "ended_on": ended,
            "sectors": split_list(data["sectors"]), "languages": [c.lower() for c in split_list(data["languages"])],
            "summary": data["summary"].strip(),
        }
        before = change_values_json(self.adoption)
        return {field: value for field, value in values.items() if value != before[field]}


FIELD_ALIASES = {"started_on": "started", "started_precision": "started", "new_adopter": "new_name"}


def apply_service_errors(form, error: ValidationError, formset=None) -> None:
    """Show a service's ValidationError on the form: each message at its field, the rest on top."""
    messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for field, texts in messages.items():
        field = FIELD_ALIASES.get(field, field)
        for text in texts:
            if field == "evidence" and formset is not None:
                formset._non_form_errors = formset._non_form_errors or formset.error_class(
                    error_class="nonform", renderer=formset.renderer
                )
                formset._non_form_errors.append(text)
            elif field in form.fields:
                form.add_error(field, text)
            else:
                form.add_error(None, text)


class MapPageOptionsForm(MapOptionsForm):
    """The /map/ page's form: the map API's parameters (one grammar, adoption.filtersets), plus what to colour by."""

    # A plain text field shown as a select: a key left over from another split falls back to the total.
    colour = forms.CharField(label=gettext_lazy("Colour the map by"), required=False, max_length=100,
                             widget=forms.Select)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        split = (str(self.data.get("split") or "").strip().lower() if self.is_bound else "") or "origin_country"
        self.fields["colour"].widget.choices = [("total", _("Total count")), *[
            # Translators: an option of "Colour the map by": the share of one family, country, stage...
            (key, _("Share: %(label)s") % {"label": label}) for key, label in split_labels(split).items()
        ]]
        for name in ("since", "until"):
            self.fields[name].help_text = _("YYYY, YYYY-MM or YYYY-MM-DD")
        self.fields["since"].label, self.fields["until"].label = _("Started since"), _("Started until")

    def api_query(self) -> dict[str, str]:
        """The API parameters of the cleaned form, as the API's query string writes them (no colour)."""
        return {name: value for name, value in self.query().items() if name != "colour"}


class MapPageFilterSet(MapFilterSet):
    class Meta(MapFilterSet.Meta):
        form = MapPageOptionsForm


def map_form(query) -> MapPageOptionsForm:
    """The /map/ page's bound form for a query string."""
    return MapPageFilterSet(query).form


def split_labels(split: str) -> dict[str, str]:
    """Split key -> readable label for a split dimension (the keys the map answers with), in the page's language."""
    unknown = _("Unknown")
    if split == "origin_country":
        rows = ModelFamily.objects.exclude(origin_country=None).values_list("origin_country", "origin_country__name")
        names = {code: place_name(code, name) for code, name in rows.distinct()}
        return {**dict(sorted(names.items(), key=lambda item: item[1])), "unknown": unknown}
    if split == "family":
        return {**dict(ModelFamily.objects.order_by("name").values_list("slug", "name")), "unknown": unknown}
    choices = {"relation": Relation, "stage": Stage, "adopter_kind": OrganizationKind}.get(split)
    if choices is None:
        return {"all": _("All")}
    labels = {value: str(label) for value, label in choices.choices}
    return labels | ({"unknown": unknown} if split == "adopter_kind" else {})
