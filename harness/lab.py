"""`make notebooks`: JupyterLab on notebooks/, with .venv's Python as kernel."""

import os
import re
import subprocess
import sys
import tempfile

from harness.registry import ROOT


def kernel_path() -> str:
    """PYTHONPATH for a kernel: this checkout first, so that the notebooks
    import its harness and steps (a .venv shared with another checkout
    would otherwise point them there, through its jwt-tutorial.pth)."""
    return os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


def command(*extra: str) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--notebook-dir",
        str(ROOT / "notebooks"),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers and workshop VMs often run as root
    return [*argv, *extra]


def main(port: int | None = None) -> int:
    print("Each notebook starts its own step's server; set BASE_URL to use yours.")
    print(
        f"JupyterLab on port {port or 8888} (the next free one if it is taken;"
        " `make notebooks PORT=8890` picks another). Its address, with"
        " a login token, is printed below."
    )
    env = {**os.environ, "PYTHONPATH": kernel_path()}
    return subprocess.call(command(*(["--port", str(port)] if port else [])), env=env)


def execute(notebook) -> None:
    """Run a notebook top to bottom in a fresh kernel, as JupyterLab would
    from notebooks/; raises nbclient's CellExecutionError if a cell fails.

    The kernel talks to us over Unix sockets in a folder of its own (IPC),
    not over TCP on localhost: ipykernel warns, on every start, that a TCP
    kernel's traffic is unencrypted, and IPC is what it recommends. Windows
    has no IPC transport: there, TCP and its warning remain."""
    import nbclient
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="jwt-kernel-") as sockets:
        config = Config()
        if os.name == "posix":
            ipc = {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}
            config.KernelManager = Config(ipc)
        nbclient.NotebookClient(
            notebook,
            config=config,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT / "notebooks")}},
        ).execute(env={**os.environ, "PYTHONPATH": kernel_path()})  # our checkout


# A text cell is shown in its first lines only: enough to follow along.
BRIEF_LINES = 6


def headless(number: str) -> int:
    """`make notebook-N`: run step N's notebook top to bottom, without
    JupyterLab, and print its text cells (briefly: _brief()) and each code
    cell with what it printed. The notebook starts
    its own server on a free port, as in JupyterLab (BASE_URL: yours)."""
    import nbclient
    import nbformat

    from harness.registry import load

    step = load().step(number)
    if step.notebook is None:
        print(f"{step.label} has no notebook")
        return 2
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's future default
    notebook = nbformat.read(step.notebook, as_version=4)
    print(f"Running notebooks/{step.notebook.name} headless ...\n", flush=True)
    failed = None
    try:
        execute(notebook)
    except nbclient.exceptions.CellExecutionError as error:
        failed = error
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            print(_brief(cell.source))
            print()
        elif cell.cell_type == "code" and cell.get("execution_count"):
            print(f"In [{cell.execution_count}]:")
            print("    " + cell.source.replace("\n", "\n    "))
            for text in _texts(cell.outputs):
                print(text.rstrip("\n"))
            print()
    if failed is not None:
        print(f"A cell failed:\n{failed}")
        return 1
    print(f"notebooks/{step.notebook.name}: every cell ran.")
    return 0


def _brief(markdown: str, most: int = BRIEF_LINES) -> str:
    """A text cell as the terminal shows it: its first lines, every heading
    (underlined, wherever it is: a cell may open a section at its end), and
    "[... N more lines]" for what is left out (read it in JupyterLab, or in
    the .ipynb on GitHub). A heading is "# " to "###### " outside a code
    block: "#861, merged upstream" is text."""
    out, left, fenced = [], 0, False
    for number, line in enumerate(markdown.strip().splitlines()):
        if line.startswith("```"):
            fenced = not fenced
        heading = not fenced and re.match(r"#{1,6} ", line)
        if number >= most and not heading:
            left += 1
            continue
        if left:
            out.append(_left_out(left))
            left = 0
        if heading:
            title = line.lstrip("#").strip()
            out += [title, "-" * len(title)]
        else:
            out.append(line)
    if left:
        out.append(_left_out(left))
    return "\n".join(out)


def _left_out(lines: int) -> str:
    return f"[... {lines} more line{'s' if lines > 1 else ''}]"


def _texts(outputs) -> list[str]:
    """What a cell showed, as text: its prints, results and errors."""
    texts = []
    for output in outputs:
        if output.output_type == "stream":
            # A print may arrive in pieces: join them, as JupyterLab does.
            if texts and texts[-1][0] == output.name:
                texts[-1] = (output.name, texts[-1][1] + output.text)
            else:
                texts.append((output.name, output.text))
        elif output.output_type in ("execute_result", "display_data"):
            texts.append((None, output.get("data", {}).get("text/plain", "")))
        elif output.output_type == "error":
            texts.append((None, f"{output.ename}: {output.evalue}"))
    return [text for _, text in texts]
