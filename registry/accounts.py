"""Site accounts: the /accounts/ index, sign up (every new user joins the contributor group), the API token page.

Log in, log out and password reset are Django's own views (django.contrib.auth.urls) with our templates.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe
from rest_framework.authtoken.models import Token

from adoption.roles import CONTRIBUTOR, is_curator
from adoption.services.roles import role_grant
from adoption.views.ratelimit import rate_limited


class SignUpForm(UserCreationForm):
    """Username, email (for password reset and decision notices) and a password twice."""

    email = forms.EmailField(
        label="Email", help_text="We send password resets and the decisions on your submissions here."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model()._default_manager.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Try resetting its password.")
        return email


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@require_http_methods(["GET", "POST"])
def signup(request):
    """Create an account in the contributor group and sign it in."""
    if request.user.is_authenticated:
        return redirect("adoption:contribute")
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if rate_limited(request, "signup"):
            form.add_error(None, "Too many sign-ups from your address. Please try again in an hour.")
            status = 429
        elif form.is_valid():
            with transaction.atomic():
                user = form.save()
                role_grant(user=user, role=CONTRIBUTOR)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.get_username()}. You can now propose adoptions.")
            return redirect(_safe_next(request) or "adoption:contribute")
        else:
            status = 400
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    """Show, create, regenerate or revoke the user's API token (DRF authtoken: one per user)."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("create", "regenerate"):
            with transaction.atomic():
                Token.objects.filter(user=request.user).delete()
                Token.objects.create(user=request.user)
            messages.success(request, "A new API token was created. The old one no longer works.")
        elif action == "revoke":
            Token.objects.filter(user=request.user).delete()
            messages.success(request, "Your API token was revoked.")
        return redirect("api-token")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "registration/api_token.html", {"token": token})


@require_safe
def account(request):
    """The /accounts/ index: signed in, the account and where to manage it; anonymous, how to get in."""
    return render(request, "registration/account.html", {
        "roles": request.user.groups.order_by("name").values_list("name", flat=True)
        if request.user.is_authenticated else [],
        "curator": is_curator(request.user),
        "has_token": request.user.is_authenticated and Token.objects.filter(user=request.user).exists(),
    })
