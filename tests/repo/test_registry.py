"""The curriculum's invariants, checked against steps.toml and the tree.

Like rustlings' checker: no step folder, notebook or feature that the
registry does not know, and every promise the registry makes is kept.
"""

import json
import re
from pathlib import Path

import pytest

from harness.registry import ROOT, RegistryError, load

REGISTRY = load()
STEPS = REGISTRY.steps
# feature("a") or feature("a", "b"): a test of every feature it names.
FEATURE_MARK = re.compile(r"""feature\(((?:\s*["'][\w-]+["']\s*,?)+)\)""")


def features_in_tests() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests" / "features").glob("test_*.py")):
        for names in FEATURE_MARK.findall(path.read_text()):
            for name in re.findall(r"[\w-]+", names):
                found.setdefault(name, []).append(path.name)
    return found


def test_steps_are_numbered_in_order():
    assert [s.number for s in STEPS] == list(range(1, len(STEPS) + 1))
    for step in STEPS:
        assert re.fullmatch(rf"{step.number:02d}-[a-z0-9-]+", step.folder), step


def test_every_step_folder_is_registered_and_vice_versa():
    on_disk = {p.name for p in (ROOT / "steps").iterdir() if p.is_dir()}
    assert on_disk == {s.folder for s in STEPS}


@pytest.mark.parametrize("step", REGISTRY.projects, ids=lambda s: s.relpath)
def test_every_project_is_complete(step):
    assert (step.path / "manage.py").is_file()
    assert (step.path / "README.md").is_file()


def test_every_notebook_belongs_to_a_step_and_vice_versa():
    on_disk = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert on_disk == {s.notebook.name for s in STEPS}


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.folder)
def test_notebooks_are_committed_without_outputs(step):
    notebook = json.loads(step.notebook.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert not cell["outputs"] and cell["execution_count"] is None


def test_features_are_defined_and_tested():
    used = {f for project in REGISTRY.projects for f in project.features}
    assert used <= set(REGISTRY.features), used - set(REGISTRY.features)
    tested = features_in_tests()
    assert set(tested) <= set(REGISTRY.features), set(tested) - set(REGISTRY.features)
    untested = set(REGISTRY.features) - set(tested)
    assert not untested, f"features no test proves: {untested}"


def test_wrong_way_steps_prove_a_symptom_and_warn_first():
    for step in STEPS:
        symptoms = [f for f in step.features if REGISTRY.features[f].symptom]
        if step.wrong_way:
            assert symptoms, f"{step.folder} is a wrong way with no symptom feature"
            first = step.path.joinpath("README.md").read_text().lstrip()
            assert first.startswith(">") and "wrong" in first[:300].lower(), (
                f"{step.folder}/README.md must open with its warning"
            )


def test_final_is_never_a_wrong_way():
    final = REGISTRY.final
    assert not final.wrong_way
    assert not [f for f in final.features if REGISTRY.features[f].symptom]


def test_each_step_keeps_what_the_previous_one_taught():
    """Right-way features carry forward unless a step drops them on purpose."""
    for previous, step in zip(STEPS, (*STEPS[1:], REGISTRY.final), strict=True):
        kept = {f for f in previous.features if not REGISTRY.features[f].symptom}
        assert set(step.drops) <= set(previous.features), step.folder
        lost = kept - set(step.features) - set(step.drops)
        assert not lost, f"{step.relpath} loses {lost} from {previous.relpath}"


def test_a_symptom_lasts_only_until_the_fix():
    """A symptom is dropped by the next step: no right-way step inherits a
    mistake. A right-way step may set up a problem (step 02's open notes,
    step 10's honest limit), which the very next step then fixes."""
    for step, later in zip(STEPS, [*STEPS[1:], REGISTRY.final], strict=True):
        symptoms = [f for f in step.features if REGISTRY.features[f].symptom]
        kept = [f for f in symptoms if f in later.features]
        assert not kept, f"{later.relpath} still has {kept} from {step.relpath}"
    assert not [f for f in REGISTRY.final.features if REGISTRY.features[f].symptom]


def test_final_has_every_right_way_feature_of_the_last_step():
    """Only what final/ drops on purpose (steps.toml says why) is missing."""
    last = STEPS[-1]
    right_way = {f for f in last.features if not REGISTRY.features[f].symptom}
    assert right_way - set(REGISTRY.final.drops) <= set(REGISTRY.final.features)
    text = (ROOT / "steps.toml").read_text()
    for name in REGISTRY.final.drops:
        drops = text.index(f'drops = ["{name}"]', text.index("[final]"))
        assert text[:drops].rstrip().splitlines()[-1].startswith("#"), name


def test_features_are_computed_from_adds_and_drops(tmp_path):
    """A step lists only its changes; its features follow from the chain."""
    registry = tmp_path / "steps.toml"
    registry.write_text(
        """
[[part]]
number = 1
title = "One"

[[step]]
number = 1
folder = "01-a"
title = "A"
part = 1
adds = ["x", "y"]

[[step]]
number = 2
folder = "02-b"
title = "B"
part = 1
wrong_way = true
adds = ["bad"]
drops = ["y"]

[final]
folder = "final"
title = "F"
adds = ["z"]

[features]
x = { summary = "x" }
y = { summary = "y" }
z = { summary = "z" }
bad = { summary = "bad", symptom = true }
"""
    )
    loaded = load.__wrapped__(registry)  # not the cached one
    assert loaded.steps[1].features == ("x", "bad")
    assert loaded.steps[1].heading == "WRONG WAY: b"
    assert loaded.final.features == ("x", "z")  # the symptom is not carried
    registry.write_text(registry.read_text().replace('drops = ["y"]', 'drops = ["q"]'))
    with pytest.raises(RegistryError, match="never had"):
        load.__wrapped__(registry)


def test_a_step_can_be_named_many_ways():
    assert REGISTRY.step(4) is REGISTRY.step("4") is REGISTRY.step("04")
    assert REGISTRY.step("final") is REGISTRY.final
    with pytest.raises(LookupError, match="does not exist yet"):
        REGISTRY.step(99)


def test_no_stray_files_are_committed():
    """No databases, caches or secrets in the tracked tree."""
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    bad = [
        f
        for f in tracked
        if Path(f).suffix in {".sqlite3", ".pyc", ".key", ".pem"}
        or Path(f).name in {".env", ".DS_Store"}
        or "__pycache__" in f
    ]
    assert not bad


def test_every_feature_test_explains_itself():
    """`make check` shows a test's docstring to the learner: each needs one."""
    import ast

    missing = []
    for path in sorted((ROOT / "tests" / "features").glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                if not ast.get_docstring(node):
                    missing.append(f"{path.name}::{node.name}")
    assert not missing


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.folder)
def test_notebooks_paste_no_code(step):
    """Code shown in a notebook is read from the files (show_code), never pasted."""
    notebook = json.loads(step.notebook.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            assert "```" not in "".join(cell["source"]), cell.get("id")


@pytest.mark.parametrize("step", REGISTRY.projects, ids=lambda s: s.relpath)
def test_generated_local_secrets_are_ignored_by_git(step):
    """Wherever a project may write .secrets.json, git ignores it."""
    import subprocess

    done = subprocess.run(
        ["git", "check-ignore", "-q", f"{step.relpath}/.secrets.json"], cwd=ROOT
    )
    assert done.returncode == 0


def test_final_is_the_last_step_grown_up():
    """Every file of final/ is the last step's, unchanged, unless steps.toml's
    [final.changes] names it with a reason: `make diff-final` is the lesson."""
    from harness.diff import files

    final, last = REGISTRY.final, STEPS[-1]
    declared = dict(final.changes)
    same, changed = [], []
    for name in sorted(files(final.path) | files(last.path)):
        a, b = last.path / name, final.path / name
        differs = not (a.exists() and b.exists()) or a.read_bytes() != b.read_bytes()
        (changed if differs else same).append(name)
    undeclared = sorted(set(changed) - set(declared))
    assert not undeclared, f"final/ changes these without a reason: {undeclared}"
    unchanged = sorted(set(declared) - set(changed))
    assert not unchanged, f"[final.changes] names files that do not differ: {unchanged}"
    assert same, "final/ shares no file with the last step"


def test_final_requirements_pin_what_the_steps_pin():
    """final/requirements.txt stands alone, with the same pins as base.txt."""

    def pins(path):
        lines = path.read_text().splitlines()
        return {x.strip() for x in lines if x.strip() and not x.startswith(("#", "-"))}

    assert pins(ROOT / "final" / "requirements.txt") == pins(
        ROOT / "requirements" / "base.txt"
    )


# A PEM private key: its armour, then base64 (at least a line's worth).
PEM_PRIVATE_KEY = re.compile(
    rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]{64,}-----END"
)


def test_no_private_key_is_tracked_by_git():
    """Step 14 on signs with a private key: it is made locally (into the
    ignored .secrets.json) or read from the environment, never committed.
    No tracked file holds a PEM private key, and key files are ignored."""
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    holding = [
        name.decode()
        for name in tracked
        if name
        and (ROOT / name.decode()).is_file()
        and PEM_PRIVATE_KEY.search((ROOT / name.decode()).read_bytes())
    ]
    assert not holding, f"private keys in git: {holding}"
    for name in ("private.pem", "steps/14-asymmetric-keys/private.pem"):
        ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=ROOT)
        assert ignored.returncode == 0, f"git would track {name}"
