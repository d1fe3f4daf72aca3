from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """This project's users: Django's own fields, in a model of our own.

    A custom user model from the first migration, as Django's documentation
    recommends for every new project: swapping one in once tables exist is a
    hard migration, while adding a field to this one later is an easy one.
    """
