import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.tokens import tokens_for


class Command(BaseCommand):
    help = "Print an access and a refresh token for USERNAME (for a script, say)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
            tokens = tokens_for(user)
        except User.DoesNotExist:
            raise CommandError(f"there is no user {username!r}") from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(tokens, indent=2))
