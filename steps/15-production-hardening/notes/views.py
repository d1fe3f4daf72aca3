from rest_framework import generics

from notes.models import Note
from notes.serializers import NoteSerializer


class NoteList(generics.ListCreateAPIView):
    """GET lists your notes, POST creates one. Login required (see settings)."""

    serializer_class = NoteSerializer

    def get_queryset(self):
        # Each user sees only their own notes.
        return Note.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        # The owner is whoever made the request, never a field the client sends.
        serializer.save(owner=self.request.user)
