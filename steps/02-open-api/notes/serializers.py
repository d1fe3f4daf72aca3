from rest_framework import serializers

from notes.models import Note


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        # "owner" is an ordinary writable field here: a client may claim to be anyone.
        fields = ["id", "owner", "title", "body", "created_at"]
