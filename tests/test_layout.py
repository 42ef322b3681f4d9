"""The tree shows its roles and imports point downwards only (docs/architecture.md):

    interfaces -> workflow -> methods -> machinery -> generated;   derive imports none of them.

Checked on the installed package by reading every module's imports (statically, anywhere in the file)."""
import ast
from pathlib import Path

import relu_injectivity

PKG = Path(relu_injectivity.__file__).resolve().parent
LAYERS = ["generated", "machinery", "methods", "workflow", "interfaces"]


def _modules():
    for f in sorted(PKG.rglob("*.py")):
        rel = f.relative_to(PKG).with_suffix("")
        yield ".".join(("relu_injectivity",) + rel.parts).removesuffix(".__init__"), f


def _imports(name, path, top_level_only=False):
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    tree = ast.parse(path.read_text())
    for node in (tree.body if top_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level + (node.module or "")) if node.level else node.module
            if node.level:
                parts = package.split(".")
                up = parts[:len(parts) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in out if m.startswith("relu_injectivity")}


def _layer(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS + ["derive"] else None


def test_imports_point_downwards():
    bad = []
    for name, path in _modules():
        src = _layer(name)
        if src is None:        # the package root is the public API: it may use every layer
            continue
        for dep in _imports(name, path):
            dst = _layer(dep)
            if dst is None and dep != "relu_injectivity":
                continue
            if src == "derive":
                ok = dst == "derive"
            elif dst == "derive":
                ok = src == "interfaces"       # `injectivity generate` runs the code generator
            else:
                ok = dst is not None and LAYERS.index(dst) <= LAYERS.index(src)
            if not ok:
                bad.append(f"{name} imports {dep}")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_no_import_cycles_between_modules():
    """Module-level imports form no cycle (a deferred import inside a function, e.g. frsb's converged=True handing
    over to methods/rsb, is allowed: it runs after both modules are loaded)."""
    mods = dict(_modules())
    graph = {n: {d for d in _imports(n, p, top_level_only=True) if d in mods and d != n} for n, p in mods.items()}
    graph = {n: {d for d in deps if not n.startswith(d + ".")} for n, deps in graph.items()}  # a package's own __init__
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"
