"""The admin: catalogue, records with the moderation queue, change requests, the moderation log, webhooks,
tasks waiting for the broker, bulk proposals, Hub snapshots."""

from . import catalogue, hub, imports, moderation, queue, records, webhooks

__all__ = ["catalogue", "hub", "imports", "moderation", "queue", "records", "webhooks"]
