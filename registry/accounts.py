"""Site accounts: the /accounts/ index, sign up (every new user joins the contributor group), the API token page.

Sign-up answers the same whether or not the username or email is taken: the new address gets a link that
activates the account, the owner of an existing one an email saying so. Log in, log out and password reset
are Django's own views (django.contrib.auth.urls) with our templates; reset emails are rate-limited per
address and per account, failed log-ins by django-axes (settings.AXES_*).
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe
from rest_framework.authtoken.models import Token

from adoption.roles import CONTRIBUTOR, is_curator
from adoption.services.accounts import account_language, account_language_set
from adoption.services.roles import role_grant
from adoption.views.ratelimit import rate_limited


class SignUpForm(UserCreationForm):
    """Username, email (for password reset and decision notices) and a password twice."""

    email = forms.EmailField(
        label=gettext_lazy("Email"),
        help_text=gettext_lazy("We send password resets and the decisions on your submissions here."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    # Whether the username or email is taken is never a form error (that would tell anyone who has an
    # account): sign_up_request() handles it by email.
    def clean_username(self):
        return self.cleaned_data.get("username")

    def validate_unique(self):
        pass

    def clean_email(self):
        return self.cleaned_data["email"].strip()


class AccountLanguageForm(forms.Form):
    """The language the account's emails are written in (the switcher sets it too)."""

    language = forms.ChoiceField(
        label=gettext_lazy("Language of your emails"),
        # settings.LANGUAGES names each language in itself, as the switcher does.
        choices=settings.LANGUAGES,
    )


def _mail(to: str, subject: str, body: str) -> None:
    send_mail(subject, body, None, [to])


def sign_up_request(request, form: SignUpForm) -> None:
    """Act on a valid sign-up by email only: a new account (inactive until its link is followed), or a
    notice to the owner of the email or the taker of the username."""
    users = get_user_model()._default_manager
    username, email = form.cleaned_data["username"], form.cleaned_data["email"]
    login_url = request.build_absolute_uri(reverse("login"))
    reset_url = request.build_absolute_uri(reverse("password_reset"))
    owner = users.filter(email__iexact=email).order_by("pk").first()
    if owner is not None and (owner.is_active or owner.last_login):
        # Sent during the request: in the requester's active language, like every sign-up email.
        _mail(owner.email, _("You already have an account"), "\n\n".join([
            _("Someone (perhaps you) tried to sign up to the Model Adoption Registry with this email."),
            _("You already have an account here: %(username)s. Log in at %(login_url)s\n"
              "or, if you forgot your password, reset it at %(reset_url)s")
            % {"username": owner.get_username(), "login_url": login_url, "reset_url": reset_url},
            _("If it was not you, you can ignore this email: nothing was changed."),
        ]))
        return
    if owner is None and users.filter(username__iexact=username).exists():
        _mail(email, _("That username is taken"), "\n\n".join([
            _("Someone (perhaps you) tried to sign up to the Model Adoption Registry with the username "
              "“%(username)s” and this email. That username is already taken: sign up again with another one at "
              "%(signup_url)s") % {"username": username, "signup_url": request.build_absolute_uri(reverse("signup"))},
            _("If it was not you, you can ignore this email."),
        ]))
        return
    with transaction.atomic():
        if owner is None:  # a new account, inactive until the link in the email is followed
            user = form.save(commit=False)
            user.is_active = False
            user.save()
            role_grant(user=user, role=CONTRIBUTOR)
            # Their decision emails go out in the language they signed up in.
            account_language_set(user=user, language=translation.get_language())
        else:  # signed up before and never activated: send the link again
            user = owner
    link = request.build_absolute_uri(reverse("signup-confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user),
    }))
    _mail(user.email, _("Confirm your account"), "\n\n".join([
        _("Welcome to the Model Adoption Registry, %(username)s.") % {"username": user.get_username()},
        _("Follow this link to activate your account and sign in:") + "\n" + link,
        _("If you did not sign up, ignore this email: the account stays inactive."),
    ]))


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
            form.add_error(None, _("Too many sign-ups from your address. Please try again in an hour."))
            status = 429
        elif form.is_valid():
            sign_up_request(request, form)
            return render(request, "registration/signup_sent.html", {"email": form.cleaned_data["email"]})
        else:
            status = 400
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)}, status=status)


def _pending_user(uidb64: str, token: str):
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = get_user_model()._default_manager.filter(pk=pk, is_active=False).first()
    return user if user is not None and default_token_generator.check_token(user, token) else None


@require_http_methods(["GET", "POST"])
def signup_confirm(request, uidb64: str, token: str):
    """The link in the sign-up email: a button (mail scanners follow links, only a POST activates), then the
    account is active and signed in."""
    user = _pending_user(uidb64, token)
    if user is None:
        return render(request, "registration/signup_confirm.html", {"invalid": True}, status=400)
    if request.method == "POST":
        user.is_active = True
        user.save(update_fields=["is_active"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(username)s. You can now propose adoptions.")
                         % {"username": user.get_username()})
        return redirect("adoption:contribute")
    return render(request, "registration/signup_confirm.html", {"pending": user})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, with the emails it may send capped per client address and per account."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        if rate_limited(self.request, "reset") or rate_limited(self.request, "reset-account", key=f"email:{email}"):
            form.add_error(None, _("Too many password reset emails were asked for. Check your inbox (and spam "
                                   "folder) for the last one, or try again later."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


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
            messages.success(request, _("A new API token was created. The old one no longer works."))
        elif action == "revoke":
            Token.objects.filter(user=request.user).delete()
            messages.success(request, _("Your API token was revoked."))
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
        "language_form": AccountLanguageForm(initial={"language": account_language(request.user)})
        if request.user.is_authenticated else None,
    })


@login_required
@require_http_methods(["POST"])
def account_language_change(request):
    """The account page's language form: keep the language the account's emails go out in."""
    form = AccountLanguageForm(request.POST)
    if form.is_valid():
        account_language_set(user=request.user, language=form.cleaned_data["language"])
        messages.success(request, _("Your emails will be written in %(language)s.")
                         % {"language": dict(settings.LANGUAGES)[form.cleaned_data["language"]]})
    else:
        messages.error(request, _("Choose one of the languages offered."))
    return redirect("account")
