"""The admin: catalogue, records with the moderation queue, change requests and the moderation log."""

from . import catalogue, moderation, records

__all__ = ["catalogue", "moderation", "records"]
