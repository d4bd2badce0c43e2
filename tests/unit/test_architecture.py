"""The parts of ``ilo_solver`` and what each may import (docs/architecture.md): an import-graph check over every
module's source, and the registries that let a method or a prior be added without touching the CLI."""
import ast
import dataclasses
import json
from pathlib import Path

import pytest
import torch

import ilo_solver

ROOT = Path(ilo_solver.__file__).parent

#: part -> the parts it may import (besides itself). The order is the architecture, bottom to top.
ALLOWED = {
    "io": set(),
    "optim": set(),
    "fit": {"io"},
    "physics": {"fit", "io"},
    "generators": {"io"},
    "priors": {"optim", "fit", "io"},
    "solvers": {"optim", "fit", "physics", "generators", "priors", "io"},
    "presets": {"solvers", "optim", "fit", "physics", "generators", "priors", "io"},
    "storage": {"presets", "solvers", "optim", "fit", "physics", "generators", "priors", "io"},
    "figures": {"io"},
    "runs": {"presets", "storage", "figures", "solvers", "optim", "fit", "physics", "generators", "priors", "io"},
    "render": {"presets", "solvers", "generators", "io"},
    "cli": {"runs", "render", "presets", "storage", "figures", "solvers", "optim", "fit", "physics", "generators",
            "priors", "io"},
}


def part_of(module: str) -> str:
    """``ilo_solver.physics.operators`` -> ``physics``; ``ilo_solver.presets`` -> ``presets``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(path: Path) -> set[str]:
    """Every ``ilo_solver`` module that ``path`` imports (relative imports resolved), at any depth of the file."""
    module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            found.update(n for n in names if n.startswith("ilo_solver"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ilo_solver"))
    return found


def graph() -> dict[str, set[str]]:
    """part -> the parts it imports, over every module of the package."""
    edges: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        src = part_of(".".join(path.relative_to(ROOT.parent).with_suffix("").parts))
        if src in ("", "__init__"):
            continue
        edges.setdefault(src, set()).update(part_of(t) for t in imports(path) if part_of(t) not in ("", src))
    return edges


def violations(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} imports {b}" for a, targets in edges.items() for b in targets
                  if b not in ALLOWED.get(a, set()))


def test_every_part_is_named_and_documented():
    parts = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    parts |= {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    assert parts == set(ALLOWED), parts ^ set(ALLOWED)
    for p in ROOT.iterdir():
        if p.is_dir() and (p / "__init__.py").exists():
            doc = ast.get_docstring(ast.parse((p / "__init__.py").read_text())) or ""
            assert "Import rule" in doc or p.name in ("generators", "cli"), p.name
            assert doc, f"{p.name}/__init__.py has no docstring"


def test_the_import_rules_hold():
    assert violations(graph()) == []


def test_the_check_fails_when_a_rule_is_broken():
    """The negative control: an upward import (physics -> solvers, io -> anything) is reported."""
    edges = graph()
    edges["physics"] = edges["physics"] | {"solvers"}
    edges["io"] = {"optim"}
    assert violations(edges) == ["io imports optim", "physics imports solvers"]


def test_imports_resolves_relative_and_absolute_forms(tmp_path):
    pkg = ROOT / "physics" / "operators.py"
    assert "ilo_solver.fit.losses" in imports(ROOT / "physics" / "tasks.py")
    assert all(part_of(t) in ("physics", "fit", "io") for t in imports(pkg))


# ------------------------------------------------------------------------------------------------ registries
@dataclasses.dataclass(frozen=True)
class ToyConfig:
    """A method nobody shipped: return the generator's image at a scaled latent."""
    scale: float = 0.5
    restarts: int = 1


def toy_solver(G, y, op, *, config, rng, progress=False):
    from ilo_solver.optim import SolveResult
    with torch.no_grad():
        x = G(config.scale * G.sample_latent(1, rng=rng))
    return SolveResult(x=x, losses=[], seconds=[0.0], config=config)


def test_a_toy_method_and_a_toy_prior_run_through_the_registries_and_the_cli(tmp_path, monkeypatch):
    """One config class + one table row + one registry entry; one loader + one registry entry: `ilo solve` runs them
    and writes their config, with no change to the CLI."""
    from ilo_solver import presets
    from ilo_solver.cli import main
    from ilo_solver.generators.dcgan import load_dcgan_faces
    from ilo_solver.storage import config_from_dict

    def toy_loader(arg, device):
        return presets.Prior("toy", "toy", load_dcgan_faces(device), 64, None, "a toy prior (the DCGAN renamed)")
    monkeypatch.setitem(presets.PRIOR_LOADERS, "toy", toy_loader)
    monkeypatch.setitem(presets.PRESETS, "toy", {"toy-method": ToyConfig()})
    monkeypatch.setitem(presets.SOLVERS, ToyConfig, presets.Solver(toy_solver))
    out = tmp_path / "o"
    assert main(["solve", "--prior", "toy", "--method", "toy-method", "--image", "astronaut", "--task", "denoise",
                 "--out", str(out), "--no-progress"]) == 0
    cfg = json.loads((out / "config.json").read_text())["method"]
    assert cfg["type"] == "ToyConfig" and config_from_dict(cfg) == ToyConfig(scale=0.5)
    assert json.loads((out / "metrics.json").read_text())["method"] == "toy-method"
    monkeypatch.delitem(presets.SOLVERS, ToyConfig)
    with pytest.raises(ValueError, match="no solver for a ToyConfig"):
        presets.solve(None, None, None, config=ToyConfig(), rng=torch.Generator())


def test_prior_specs_are_parsed_in_one_place(tmp_path):
    from ilo_solver import presets
    assert presets.parse_prior("dcgan-faces") == ("dcgan-faces", None)
    ck = tmp_path / "g.pt"
    ck.write_bytes(b"")
    assert presets.parse_prior(f"stylegan2:{ck}") == ("stylegan2", str(ck))
    for spec, msg in (("biggan", "unknown prior"), ("stylegan2", "needs a checkpoint"), ("stylegan2:", "needs a"),
                      ("stylegan2:/none.pt", "does not exist"), ("dcgan-faces:x", "takes no argument")):
        with pytest.raises(ValueError, match=msg):
            presets.parse_prior(spec)
