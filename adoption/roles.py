"""Roles are Django groups: every signed-up user is a contributor; curators review and decide."""

CONTRIBUTOR = "contributor"
CURATOR = "curator"
ROLES = (CONTRIBUTOR, CURATOR)


def is_curator(user) -> bool:
    """Curators and superusers may review, decide and edit the catalogue."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_curator", None)
    if cached is None:
        cached = user.groups.filter(name=CURATOR).exists()
        user._is_curator = cached
    return cached


def is_contributor(user) -> bool:
    """Any active signed-in user may propose records."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)
