import uuid

from django.conf import settings
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone


class LoginSession(models.Model):
    """One login, and every token rotated from it: a token family.

    Logging in creates the row and puts its id in the tokens (the "sid"
    claim), and rotation copies the claim into every new token. Ending the
    session is one write, and the refresh endpoint checks it at every use:
    once a session has ended, none of its tokens is accepted, whenever it was
    issued, even by a refresh that was running at the moment it ended.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="login_sessions",
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Why it ended: "logout", "logout-all", "reuse", "password", "deactivated".
    end_reason = models.CharField(max_length=20, blank=True)

    def __str__(self):
        return f"{self.user} since {self.started_at:%Y-%m-%d %H:%M}"

    @classmethod
    def end(cls, reason, **which):
        """End the live sessions that match, in one UPDATE:
        LoginSession.end("logout", pk=sid), or .end("logout-all", user_id=1)."""
        live = cls.objects.filter(ended_at=None, **which)
        return live.update(ended_at=timezone.now(), end_reason=reason)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def end_the_sessions_of_a_deactivated_user(sender, instance, **kwargs):
    """Deactivated, every session ends: reactivating the account later does
    not bring its old tokens back. Any save() counts (the admin, the shell,
    a management command); QuerySet.update() and raw SQL send no signal."""
    if not instance.is_active:
        LoginSession.end("deactivated", user_id=instance.pk)
