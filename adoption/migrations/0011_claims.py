# Claims hold: a curator takes over a record another curator claimed, or its holder releases it; both are
# logged as their own moderation events (new choices of ModerationEvent.action, no schema change).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('adoption', '0010_trigram'),
    ]

    operations = [
        migrations.AlterField(
            model_name='moderationevent',
            name='action',
            field=models.CharField(choices=[('create', 'Create'), ('edit', 'Edit'), ('submit', 'Submit'), ('withdraw', 'Withdraw'), ('claim', 'Claim'), ('take_over', 'Take over'), ('release', 'Release'), ('approve', 'Approve'), ('reject', 'Reject'), ('request_changes', 'Request changes'), ('retract', 'Retract'), ('comment', 'Comment'), ('import', 'Import'), ('change_approved', 'Change request approved'), ('change_rejected', 'Change request rejected')], max_length=20, verbose_name='action'),
        ),
    ]
