"""Render TUTORIAL.md's ```mermaid diagrams for real, offline: the check
that each one is valid (tests/repo/test_docs.py).

The renderer is the mermaid that JupyterLab bundles (requirements/lab.txt:
`make setup` installs it), run in headless Chromium (harness/browser.py).
JupyterLab ships it as chunks of its own build (rspack's), loaded by its
page; here a few lines of JavaScript stand in for that page's loader, so a
blank page can load the chunks from .venv's share/jupyter/lab/static/ and
nothing comes from the network.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

STATIC = Path(sys.prefix) / "share" / "jupyter" / "lab" / "static"
INSTALL = (
    "no mermaid to render the diagrams with: JupyterLab bundles one;"
    " install it with `make setup` (requirements/lab.txt)"
)
ORIGIN = "http://mermaid.bundle"  # answered by Playwright, never the network
PAGE = "<!doctype html><title>mermaid</title><body></body>"
DIAGRAM = re.compile(r"(?ms)^```mermaid\n(.*?)^```")

# The loader: what JupyterLab's page does for its chunks, only as far as
# mermaid needs. A chunk pushes its modules into a global array; a module is
# a function of (module, exports, require); require.e(chunk) loads a chunk
# (and the shared modules it consumes, from their fallback chunks).
LOADER = """
(() => {
  const BUNDLE = %s;
  const modules = {}, cache = {}, chunks = {};
  self[BUNDLE.global] = {push: ([, more]) => Object.assign(modules, more)};
  const has = (o, p) => Object.prototype.hasOwnProperty.call(o, p);
  function r(id) {
    if (cache[id]) return cache[id].exports;
    if (!has(modules, id)) throw new Error("mermaid bundle: no module " + id);
    const module = (cache[id] = {id, loaded: false, exports: {}});
    modules[id].call(module.exports, module, module.exports, r);
    module.loaded = true;
    return module.exports;
  }
  r.m = modules; r.c = cache; r.o = has; r.g = globalThis;
  r.p = location.origin + "/"; r.b = document.baseURI; r.nc = undefined;
  r.d = (e, getters) => {
    for (const k in getters)
      if (has(getters, k) && !has(e, k))
        Object.defineProperty(e, k, {enumerable: true, get: getters[k]});
  };
  r.r = (e) => {
    if (typeof Symbol < "u" && Symbol.toStringTag)
      Object.defineProperty(e, Symbol.toStringTag, {value: "Module"});
    Object.defineProperty(e, "__esModule", {value: true});
  };
  r.n = (e) => {
    const get = e && e.__esModule ? () => e.default : () => e;
    r.d(get, {a: get});
    return get;
  };
  const proto = Object.getPrototypeOf;
  let seen;
  r.t = function (value, mode) {  // as JupyterLab's: a namespace for a module
    if (mode & 1) value = this(value);
    if (mode & 8 || (typeof value === "object" && value &&
        ((mode & 4 && value.__esModule) ||
         (mode & 16 && typeof value.then === "function"))))
      return value;
    const ns = Object.create(null);
    r.r(ns);
    const getters = {};
    seen = seen || [null, proto({}), proto([]), proto(proto)];
    for (let o = mode & 2 && value;
         (typeof o === "object" || typeof o === "function") && !~seen.indexOf(o);
         o = proto(o))
      Object.getOwnPropertyNames(o).forEach((k) => { getters[k] = () => value[k]; });
    getters.default = () => value;
    r.d(ns, getters);
    return ns;
  };
  r.nmd = (m) => ((m.paths = []), m.children || (m.children = []), m);
  r.hmd = (m) => ((m = Object.create(m)), m.children || (m.children = []), m);
  r.u = (id) => BUNDLE.files[id];
  const script = (id) => new Promise((ok, fail) => {
    if (!BUNDLE.files[id]) return ok();  // a chunk of shared modules only
    const tag = document.createElement("script");
    tag.src = "/" + BUNDLE.files[id];
    tag.onload = ok;
    tag.onerror = () => fail(new Error("mermaid bundle: cannot load " + tag.src));
    document.head.append(tag);
  });
  const consume = (id) => {
    const [needs, module] = BUNDLE.consumes[id];
    return Promise.all(needs.map(r.e)).then(() => {
      modules[id] = (m) => { m.exports = r(module); };
    });
  };
  r.e = (id) => chunks[id] || (chunks[id] = Promise.all(
    [script(id), ...(BUNDLE.shared[id] || []).map(consume)]));
  window.mermaidLoaded = Promise.all(BUNDLE.entry.chunks.map(r.e))
    .then(() => r(BUNDLE.entry.module).default);
})();
"""

RENDER = """
async (diagrams) => {
  const mermaid = await window.mermaidLoaded;
  mermaid.initialize({startOnLoad: false, securityLevel: "strict"});
  const errors = [];
  for (const [i, text] of diagrams.entries()) {
    try {
      await mermaid.render("diagram" + i, text);
      errors.push(null);
    } catch (error) {
      errors.push(String((error && error.message) || error));
    }
  }
  return errors;
}
"""


class NoMermaid(Exception):
    """JupyterLab (and with it its mermaid) is not installed here."""


def bundle(static: Path = STATIC) -> dict:
    """What the loader needs to know of JupyterLab's build: each chunk's
    file, the shared modules each chunk consumes (with the chunks and the
    module of their fallback: the copy JupyterLab ships), and which chunks
    and module make up mermaid (what @jupyterlab/mermaid imports)."""
    mains = sorted(static.glob("main.*.js")) if static.is_dir() else []
    if not mains:
        raise NoMermaid(INSTALL)
    runtime = mains[0].read_text(encoding="utf-8")
    files = {
        m.group(1): m.group(0)
        for path in static.glob("*.js")
        if (m := re.fullmatch(r"(\d+)\.[0-9a-f]+\.js", path.name))
    }
    mapping = re.search(r"chunkMapping:\{(.*?)\}", runtime)
    global_name = re.search(r"self\.(\w+)=self\.\1\|\|\[\]", runtime)
    if mapping is None or global_name is None:  # another JupyterLab build
        raise NoMermaid(f"JupyterLab's build in {static} has no mermaid we can load")
    shared = {
        chunk: re.findall(r'"(\d+)"', ids)
        for chunk, ids in re.findall(r"(\d+):\[([^\]]*)\]", mapping.group(1))
    }
    consumes = {
        module: (re.findall(r"__webpack_require__\.e\((\d+)\)", needs), fallback)
        for module, needs, fallback in re.findall(
            r"(\d+):\{shareScope:[^{}]*?fallback:\(\)=>(.*?)\.then\(\(\)=>\(\)=>"
            r"__webpack_require__\((\d+)\)\)",
            runtime,
        )
    }
    entry = None
    for path in static.glob("*.js"):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "mermaidAPI:" not in text:
            continue
        api = text.index("mermaidAPI:")
        heads = list(re.finditer(r"[,{](\d+)\(\w(?:,\w){0,2}\)\{", text[:api]))
        module = heads[-1].group(1)
        for other in static.glob("*.js"):
            imports = (
                rf"Promise\.all\(\[([^\]]*)\]\)\.then\(\w+\.bind\(\w+,{module}\)\)"
            )
            found = re.search(
                imports, other.read_text(encoding="utf-8", errors="replace")
            )
            if found:
                chunks = re.findall(r"\.e\((\d+)\)", found.group(1))
                entry = {"chunks": chunks, "module": module}
                break
        break
    if entry is None:
        raise NoMermaid(f"JupyterLab's build in {static} has no mermaid we can load")
    return {
        "files": files,
        "shared": shared,
        "consumes": consumes,
        "entry": entry,
        "global": global_name.group(1),
    }


def diagrams(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each ```mermaid block of a document."""
    return [
        (text[: m.start()].count("\n") + 1, m.group(1)) for m in DIAGRAM.finditer(text)
    ]


def errors(sources: list[str], static: Path = STATIC) -> list[str | None]:
    """Render each diagram in one headless Chromium: None for each that
    renders, else mermaid's error (a parse error, say). Raises NoMermaid, or
    RuntimeError (harness.browser.INSTALL) without Chromium."""
    from playwright.sync_api import sync_playwright

    from harness.browser import launch

    loader = LOADER % json.dumps(bundle(static))

    def answer(route):
        path = route.request.url.removeprefix(ORIGIN).lstrip("/")
        if not path:
            return route.fulfill(body=PAGE, content_type="text/html")
        file = static / path
        if "/" in path or not file.is_file():
            return route.fulfill(status=404, body="")
        route.fulfill(body=file.read_bytes(), content_type="text/javascript")

    with sync_playwright() as pw:
        browser, why = launch(pw)
        if browser is None:
            raise RuntimeError(why)
        try:
            page = browser.new_page()
            page.route(f"{ORIGIN}/**", answer)
            page.goto(f"{ORIGIN}/")
            page.add_script_tag(content=loader)
            return page.evaluate(RENDER, sources)
        finally:
            browser.close()
