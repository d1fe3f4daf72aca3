"""TUTORIAL.md and README.md show exactly what the files hold and the runs print."""

import re

import pytest

from harness import docs
from harness.registry import ROOT, load


# It replays every console block against fresh servers: on a loaded 2-core
# machine that has taken over 60 s (the default per-test limit).
@pytest.mark.timeout(240)
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


def test_key_ids_and_second_ports_are_normalised():
    """Step 14 on: each machine makes its own key, so its id (in a token's
    header and in JSON) and its public number are cut; the resource service
    is shown on 8001, and a port that merely starts like ours is left alone."""
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6InZsYW01V0Qx." + "a" * 80 + "." + "b" * 43
    out = docs.normalise(
        f'{token} {{"kid": "vlam5WD1", "n": "y77dEX"}} {{"kid":"x-y_z"}}'
        " 127.0.0.1:5123/ 127.0.0.1:51234/ 127.0.0.1:4242/",
        {8000: 5123, 8001: 4242},
    )
    assert out == (
        f'{token[:28]}… {{"kid": "…", "n": "…"}} {{"kid":"…"}}'
        " 127.0.0.1:8000/ 127.0.0.1:51234/ 127.0.0.1:8001/"
    )


def test_a_new_step_needs_only_its_registry_entry(tmp_path):
    """Adding a step: its folder, one entry listing only its changes, a
    notebook, a chapter, tests. Nothing else changes by hand: its features,
    final/'s, the README's table, the Part headings and `harness list`
    follow from the entry."""
    from harness.registry import load as load_registry

    text = (ROOT / "steps.toml").read_text()
    last = load().steps[-1]
    entry = (
        f'\n[[step]]\nnumber = {last.number + 1}\nfolder = "{last.number + 1:02d}-new"'
        f'\ntitle = "A new lesson"\npart = {last.part.number}'
        '\nadds = ["a-new-feature"]\n'
    )
    text = text.replace("\n[final]", entry + "\n[final]", 1)
    text += '\na-new-feature = { summary = "something new" }\n'
    (tmp_path / "steps.toml").write_text(text)
    registry = load_registry.__wrapped__(tmp_path / "steps.toml")
    new = registry.steps[-1]

    assert new.features == (*last.features, "a-new-feature")
    assert "a-new-feature" in registry.final.features
    table = docs.steps_table([], registry)
    assert f"|  | {new.number:02d} | [`steps/{new.folder}/`]" in table
    heading = docs.chapter([str(new.number)], registry)
    assert heading.startswith(f"## {new.number}. A new lesson")  # its Part is open
    assert f"{new.number:02d}" not in docs.parts([], load())
    assert f"-{new.number:02d}" in docs.parts([], registry)


def test_a_changed_page_makes_its_screenshot_stale(tmp_path):
    """The screenshot's region records the page's outline: an element added
    to the template changes it, so the check fails until `make docs` takes
    the picture again."""
    import dataclasses

    step = load().step(12)
    copy = tmp_path / "steps" / step.folder / "web" / "templates" / "web"
    copy.mkdir(parents=True)
    template = (step.path / "web" / "templates" / "web" / "page.html").read_text()
    (copy / "page.html").write_text(
        template.replace("<main>", '<main><p id="banner">new</p>')
    )
    changed = docs.page_outline(dataclasses.replace(step, root=tmp_path))
    assert changed == ["banner", *docs.page_outline(step)]
    region = "<!-- screenshot: 12 -->\n" + docs.screenshot(["12"]) + "<!-- end -->\n"
    assert docs.render(region) == region
    assert " ".join(changed) not in region


def test_every_link_within_a_document_lands_on_a_heading():
    """The table of contents and every `(#anchor)` link, in TUTORIAL.md and
    the READMEs, point at a heading that exists (GitHub's ids)."""
    for name in docs.DOCUMENTS:
        prose, headings = _headings(ROOT / name)
        links = set(re.findall(r"\]\(#([^)]+)\)", prose))
        assert links or name != "TUTORIAL.md"
        assert not links - headings, f"{name}: {sorted(links - headings)}"


def test_links_into_the_tutorial_land_on_a_heading():
    """The step READMEs, final/'s and the README link to chapters by
    `TUTORIAL.md#anchor`: each anchor is a heading of TUTORIAL.md."""
    _, headings = _headings(ROOT / "TUTORIAL.md")
    readmes = [
        ROOT / "README.md",
        *ROOT.glob("steps/*/README.md"),
        ROOT / "final/README.md",
    ]
    broken = [
        f"{path.relative_to(ROOT)}: #{target}"
        for path in readmes
        for target in re.findall(r"TUTORIAL\.md#([\w-]+)", path.read_text())
        if target not in headings
    ]
    assert not broken


def _headings(path):
    """A document's text without its code blocks, and its headings' ids."""
    prose = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    lines = prose.splitlines()
    ids = {docs.anchor(x.lstrip("#").strip()) for x in lines if re.match("#+ ", x)}
    return prose, ids


def _console(*commands):
    return "```console\n" + "\n".join(f"$ {c}" for c in commands) + "\n```\n"


def test_a_command_that_names_our_port_is_refused():
    """Commands reach the servers through $API and $RESOURCE, which the
    reader sets from `make step-N`'s banner: a port written into a command
    is refused (in a comment, or the line that sets API, it is prose)."""
    for command in (
        "curl -s http://127.0.0.1:8000/api/hello/",
        "curl -s http://127.0.0.1:8001/api/whoami/",
    ):
        with pytest.raises(docs.DocError, match="names a port"):
            docs.check_commands(_console(command))
    docs.check_commands(_console("export API=http://127.0.0.1:8000"))
    docs.check_commands("```console\nmake step-4  # on http://127.0.0.1:8000\n```\n")
    docs.check_commands(_console("curl -s $API/api/hello/"))


def test_a_command_too_long_to_type_is_refused():
    """Over 100 characters a line, a command can only be pasted; a curl
    continued with backslashes can be typed, line by line."""
    long = "python3 -c '" + "x" * 100 + "'"
    with pytest.raises(docs.DocError, match="too long to type"):
        docs.check_commands(_console(long))
    with pytest.raises(docs.DocError, match="too long to type"):
        docs.check_commands(_console("python3 -c 'a' \\\n    'b'"))
    curl = "curl -s -X POST $API/api/token/ \\\n    -H 'Content-Type: application/json'"
    docs.check_commands(_console(curl))


def test_a_block_ends_in_the_folder_it_started_in():
    """The next block's commands run in the repository's folder: a block
    that cds into a step cds back, whether it is replayed or not."""
    with pytest.raises(docs.DocError, match="not where it started"):
        docs.check_commands(_console("cd steps/07-secrets-from-env", "ls"))
    docs.check_commands(_console("cd steps/07-secrets-from-env", "ls", "cd ../.."))


def test_the_replay_refuses_a_block_that_does_not_come_back():
    """The replay itself runs `pwd` after a block: the static check's
    counterpart for what it cannot read (a cd in a function, say)."""
    import types

    nowhere = types.SimpleNamespace(port=9, url="http://127.0.0.1:9")
    with pytest.raises(docs.DocError, match="not in the repository's folder"):
        docs.run_block(nowhere, _console("go() { cd steps; }", "go"))
    with pytest.raises(docs.DocError, match="names a port"):
        docs.run_block(nowhere, _console("curl -s http://127.0.0.1:8000/"))
    shown = docs.run_block(nowhere, _console("echo $API", "type login | head -1"))
    assert "http://127.0.0.1:8000" in shown and "login is a function" in shown


def test_claims_that_change_with_every_token_are_normalised():
    payload = (
        '{"exp":1767225600,"iat":1767225300,"jti":"0123456789abcdef0123456789abcdef",'
        '"sid":"a1a88bc5-7614-4a3f-bd65-f4877a7ac90c","hash_password":"9FD50B0145E6'
        '211B978F36EEBEF11F21","created_at":"2026-12-02T19:41:48.123456Z"}'
    )
    assert docs.normalise(payload, 5123) == (
        '{"exp":…,"iat":…,"jti":"…","sid":"…","hash_password":"…","created_at":"…"}'
    )


@pytest.mark.parametrize(
    "readme",
    [*sorted(ROOT.glob("steps/*/README.md")), ROOT / "final/README.md"],
    ids=lambda p: p.parent.name,
)
def test_the_readmes_commands_can_be_typed_on_any_port(readme):
    """The step READMEs are not replayed, but their commands follow the
    same rules as the tutorial's: $API, short lines, back where they began."""
    docs.check_commands(readme.read_text(encoding="utf-8"))


def _chapter(prose, output):
    return (
        "<!-- chapter: 04 -->\n## 4. JWT authentication\n<!-- end -->\n\n"
        f"{prose}\n\n<!-- run: 04 -->\n```console\n$ login user nope\n{output}\n```\n"
        "<!-- end -->\n"
    )


def test_an_error_code_the_prose_names_must_be_shown():
    """A chapter that names an error code the reader sees in none of its
    replayed outputs fails the docs check; shown in an output, named in a
    Going deeper block, or said to be "not shown", it passes."""
    codes = docs.error_codes()
    assert {"not_authenticated", "token_not_valid", "no_active_account"} <= codes
    assert {"session_ended", "too_large"} <= codes  # the steps' own
    named = "A wrong password gets 401 `no_active_account`."
    hidden = '{"detail":"No active account found with the given credentials"}'
    problems = docs.unshown_error_codes(_chapter(named, hidden))
    assert len(problems) == 1 and "chapter 4" in problems[0]
    assert "`no_active_account`" in problems[0]
    shown = '{"detail":"No active account","code":"no_active_account"}'
    assert docs.unshown_error_codes(_chapter(named, shown)) == []
    deeper = (
        "<details>\n<summary><b>Going deeper: codes</b></summary>\n\n"
        f"{named}\n\n</details>"
    )
    assert docs.unshown_error_codes(_chapter(deeper, hidden)) == []
    marked = "A wrong password gets 401 `no_active_account` (not shown: see ch. 15)."
    assert docs.unshown_error_codes(_chapter(marked, hidden)) == []
    # "not shown" counts in the paragraph, list item or quote that names it.
    elsewhere = f"Some codes are not shown.\n\n{named}"
    assert docs.unshown_error_codes(_chapter(elsewhere, hidden)) != []
    items = f"- {marked}\n  it says so.\n- {named}"
    assert len(docs.unshown_error_codes(_chapter(items, hidden))) == 1
    # A code in a command, or a word that is no code, is not an output.
    assert docs.unshown_error_codes(_chapter("`invalid` `detail`", hidden)) != []
    assert docs.unshown_error_codes(_chapter("`ACCESS` `detail`", hidden)) == []


def test_the_replay_fails_on_an_error_code_no_output_shows():
    """render() runs the check on the document it makes."""
    text = _chapter("A wrong password gets 401 `no_active_account`.", "")
    text = text.replace("<!-- run: 04 -->\n", "")  # no server needed
    with pytest.raises(docs.DocError, match="no_active_account"):
        docs.render(text)


@pytest.fixture(scope="module")
def render_mermaid():
    """mermaid.errors(), or a skip that says what to install: JupyterLab's
    bundled mermaid (`make setup`), or Chromium."""
    from harness import mermaid

    try:
        mermaid.bundle()
    except mermaid.NoMermaid as missing:
        pytest.skip(str(missing))
    pytest.importorskip("playwright")

    def render(sources):
        try:
            return mermaid.errors(sources)
        except RuntimeError as no_browser:
            pytest.skip(str(no_browser))

    return render


def test_every_mermaid_diagram_renders(render_mermaid):
    """Each ```mermaid block of TUTORIAL.md renders with a real mermaid (the
    one JupyterLab bundles) in headless Chromium, all in one page."""
    from harness import mermaid

    found = mermaid.diagrams((ROOT / "TUTORIAL.md").read_text(encoding="utf-8"))
    assert found, "TUTORIAL.md has no mermaid diagram"
    # A broken one goes last: the check must be able to fail.
    broken = "sequenceDiagram\n    A->>B: GET /\n    B-->>A: deleted; the end\n"
    *errors, last = render_mermaid([source for _, source in found] + [broken])
    assert last and "Parse error" in last, "a broken diagram rendered"
    failed = [
        f"TUTORIAL.md, the diagram on line {line}: {error}"
        for (line, _), error in zip(found, errors, strict=True)
        if error
    ]
    assert not failed, "\n\n".join(failed)
