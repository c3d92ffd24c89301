"""On PostgreSQL, enforce in the database that an adoption's checkpoint belongs to its family.

A CHECK constraint cannot look at another table, and Django has no composite foreign keys yet, so a
trigger guards it; model validation (Adoption.clean) gives the same message before it is reached.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION adoption_checkpoint_family_check() RETURNS trigger AS $$
BEGIN
    IF NEW.checkpoint_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM adoption_checkpoint c WHERE c.id = NEW.checkpoint_id AND c.family_id = NEW.family_id
    ) THEN
        RAISE EXCEPTION 'adoption_checkpoint_family: the checkpoint belongs to another family than the adoption'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'adoption_checkpoint_family';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER adoption_checkpoint_family
    BEFORE INSERT OR UPDATE OF checkpoint_id, family_id ON adoption_adoption
    FOR EACH ROW EXECUTE FUNCTION adoption_checkpoint_family_check();

CREATE OR REPLACE FUNCTION checkpoint_family_change_check() RETURNS trigger AS $$
BEGIN
    IF NEW.family_id <> OLD.family_id AND EXISTS (
        SELECT 1 FROM adoption_adoption a WHERE a.checkpoint_id = NEW.id AND a.family_id <> NEW.family_id
    ) THEN
        RAISE EXCEPTION 'adoption_checkpoint_family: adoptions cite this checkpoint under its current family'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'adoption_checkpoint_family';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER checkpoint_family_change
    BEFORE UPDATE OF family_id ON adoption_checkpoint
    FOR EACH ROW EXECUTE FUNCTION checkpoint_family_change_check();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS checkpoint_family_change ON adoption_checkpoint;
DROP FUNCTION IF EXISTS checkpoint_family_change_check();
DROP TRIGGER IF EXISTS adoption_checkpoint_family ON adoption_adoption;
DROP FUNCTION IF EXISTS adoption_checkpoint_family_check();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("adoption", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
