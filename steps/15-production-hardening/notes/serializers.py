from rest_framework import serializers

from notes.models import Note


class NoteSerializer(serializers.ModelSerializer):
    # Read-only: the server decides who owns a note, the client cannot claim to.
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "owner", "title", "body", "created_at"]
        # The database would take a body of any length: 10,000 characters
        # is a long note, and a bound on what one request can store.
        extra_kwargs = {"body": {"max_length": 10_000}}
