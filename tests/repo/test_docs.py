"""TUTORIAL.md and README.md show exactly what the files hold and the runs print."""

import pytest

from harness import docs
from harness.registry import ROOT, load


@pytest.mark.parametrize("name", docs.DOCUMENTS)
def test_document_is_in_sync_with_the_files(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    fresh = docs.render(text)
    assert fresh == text, f"{name} is stale: run `make docs` and review the diff"


@pytest.mark.parametrize("step", load().steps, ids=lambda s: s.folder)
def test_every_step_has_a_chapter(step):
    tutorial = (ROOT / "TUTORIAL.md").read_text(encoding="utf-8")
    assert f"<!-- chapter: {step.number:02d} -->" in tutorial


def test_a_changed_file_makes_the_check_fail(tmp_path):
    """The check can fail: an include whose file changed is reported stale."""
    text = (
        "<!-- include: steps/01-bare-django/config/views.py -->\n"
        "stale text\n<!-- end -->\n"
    )
    assert docs.render(text) != text
    assert "JsonResponse" in docs.render(text)


def test_symbol_includes_take_decorators_and_comments():
    path = ROOT / "steps/04-jwt-authentication/config/views.py"
    source = docs.symbol_source(path, "hello")
    assert source.startswith('@api_view(["GET"])')
    assert "# Public:" in source
    assert source.rstrip().endswith('return Response({"message": "Hello, world!"})')


def test_unknown_symbols_are_an_error():
    with pytest.raises(docs.DocError):
        docs.symbol_source(ROOT / "steps/01-bare-django/config/views.py", "nope")


def test_tokens_and_ports_are_normalised():
    token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "a" * 80 + "." + "b" * 43
    out = docs.normalise(
        f"Date: today\nServer: x\nhttp://127.0.0.1:5123/ {token}", 5123
    )
    assert out == "http://127.0.0.1:8000/ " + token[:48] + "…"
