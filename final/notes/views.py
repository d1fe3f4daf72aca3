from rest_framework import generics

from notes.models import Note
from notes.serializers import NoteSerializer


class NoteList(generics.ListCreateAPIView):
    """GET lists your notes, POST creates one. Login required (see settings)."""

    serializer_class = NoteSerializer

    def get_queryset(self):
        # Each user sees only their own notes.
        # select_related: each note's owner (its username is in the answer)
        # comes in the same query, not in one query per note.
        return Note.objects.filter(owner=self.request.user).select_related("owner")

    def perform_create(self, serializer):
        # The owner is whoever made the request, never a field the client sends.
        serializer.save(owner=self.request.user)
