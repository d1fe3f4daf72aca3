from rest_framework import serializers

from notes.models import Note


class NoteSerializer(serializers.ModelSerializer):
    # Read-only: the server decides who owns a note, the client cannot claim to.
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "owner", "title", "body", "created_at"]
