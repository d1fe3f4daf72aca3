"""Chapter 10: the models, and so the tables, of the blacklist and accounts.

cd steps/10-rotation-and-blacklist
../../.venv/bin/python manage.py shell -v 0 < show_tables.py
"""

from django.apps import apps

for model in apps.get_models():
    if model._meta.app_label in ("token_blacklist", "accounts"):
        print(model.__name__, [field.name for field in model._meta.concrete_fields])
