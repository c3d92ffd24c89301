"""The registry's domain app: who builds on which open-weight base model, with evidence."""
