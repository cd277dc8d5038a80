"""The package layout holds: layers import only what ARCHITECTURE.md allows, modules stay small, only the seed
helpers touch torch's global seed, and the numpy lessons never load torch."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nnkit"
LAYERS = ("core", "basics", "spectral", "inference", "problems", "teach", "workflow")
ALLOWED = {  # layer -> the layers its modules may import from (their own included)
    None: {"core"},                    # nnkit/__init__.py
    "core": {"core"},
    "basics": {"core", "basics"},
    "spectral": {"core", "problems", "spectral"},
    "inference": {"core", "problems", "inference"},
    "problems": {"core", "problems"},
    "teach": set(LAYERS),
    "workflow": {"core", "problems", "inference", "teach", "workflow"},   # teach: the report's SBC plots
}
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_parts(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_nnkit_modules(path):
    """The nnkit modules a file imports (absolute or relative, at any depth of the file), as lists of names."""
    parts = module_parts(path)
    package = parts if path.name == "__init__.py" else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name.split(".") for alias in node.names if alias.name.split(".")[0] == "nnkit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                found.append(base + (node.module.split(".") if node.module else []))
            elif node.module and node.module.split(".")[0] == "nnkit":
                found.append(node.module.split("."))
    return found


def layer_of(parts):
    return parts[1] if len(parts) > 1 else None


def test_every_module_sits_in_a_layer():
    for path in MODULES:
        parts = module_parts(path)
        assert layer_of(parts) in ALLOWED, f"{path.relative_to(PACKAGE)} is outside the layers {LAYERS}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path):
    layer = layer_of(module_parts(path))
    for target in imported_nnkit_modules(path):
        assert layer_of(target) in ALLOWED[layer], (
            f"{path.relative_to(PACKAGE)} ({layer or 'nnkit'}) imports {'.'.join(target)}; "
            f"{layer or 'nnkit'} may import only {sorted(ALLOWED[layer])}")


def test_the_import_walk_sees_relative_and_nested_imports():
    bnn = {".".join(t) for t in imported_nnkit_modules(PACKAGE / "inference" / "bnn.py")}
    assert {"nnkit.core.nets", "nnkit.inference.svgd"} <= bnn
    nested = {".".join(t) for t in imported_nnkit_modules(PACKAGE / "basics" / "backprop.py")}
    assert "nnkit.core.nets" in nested    # imported inside autograd_loss_and_grads


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 350, f"{path.relative_to(PACKAGE)} has {lines} lines; split it by concern"


def test_only_the_seed_helpers_set_global_seeds():
    """Library code seeds through core.runtime (seed_everything for notebooks, seeded for a local block) or local
    generators (torch.Generator().manual_seed, numpy's default_rng)."""
    global_seeding = ("torch.manual_seed(", "torch.cuda.manual_seed", "random.seed(")
    for path in MODULES:
        if path != PACKAGE / "core" / "runtime.py":
            source = path.read_text(encoding="utf-8")
            assert not any(call in source for call in global_seeding), (
                f"{path.relative_to(PACKAGE)} seeds a global random state; use core.runtime.seeded")


def test_numpy_lessons_do_not_load_torch():
    code = ("import sys\n"
            "from nnkit.basics import approx, backprop, gd\n"
            "from nnkit.problems import toys\n"
            "from nnkit.teach import plotting\n"
            "from nnkit.teach.checks import basics\n"
            "from nnkit.teach.widgets import basics as widgets\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
