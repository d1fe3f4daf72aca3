from rest_framework import generics

from notes.models import Note
from notes.serializers import NoteSerializer


class NoteList(generics.ListCreateAPIView):
    """GET lists notes, POST creates one.

    No authentication, no permissions: anyone can read every note and write
    a note in anyone's name. That is the problem the next steps solve.
    """

    queryset = Note.objects.all()
    serializer_class = NoteSerializer
