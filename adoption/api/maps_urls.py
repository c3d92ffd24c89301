"""Aggregate map endpoints (filled in by the maps work)."""

urlpatterns = []
