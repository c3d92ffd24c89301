"""Public pages: the home page and record, organization and family pages."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from adoption import selectors
from adoption.models import Adoption, ModelFamily, Organization


def home(request):
    """Published adoptions with totals by the origin country of the base family."""
    page = Paginator(selectors.published_adoptions(), 50).get_page(request.GET.get("page"))
    totals = selectors.totals_by_origin_country()
    return render(request, "adoption/home.html", {
        "page": page, "totals": totals, "total": sum(row["count"] for row in totals),
    })


def adoption_detail(request, pk):
    adoption = get_object_or_404(Adoption.objects.visible_to(request.user).with_related(), pk=pk)
    return render(request, "adoption/adoption_detail.html", {
        "adoption": adoption, "evidence": adoption.evidence.all(),
    })


def organization_detail(request, slug):
    org = get_object_or_404(Organization.objects.visible_to(request.user).select_related("country"), slug=slug)
    if org.merged_into_id:
        return redirect(org.merged_into, permanent=True)
    adoptions = Adoption.objects.visible_to(request.user).with_related().filter(adopter=org)
    return render(request, "adoption/organization_detail.html", {"org": org, "adoptions": adoptions})


def family_detail(request, slug):
    family = get_object_or_404(ModelFamily.objects.select_related("origin_country", "developer"), slug=slug)
    adoptions = selectors.published_adoptions().filter(family=family)
    return render(request, "adoption/family_detail.html", {"family": family, "adoptions": adoptions})
