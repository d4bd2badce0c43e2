"""The Fashion-MNIST classifiers: data reader, network, attack, training, storage, and the shipped weights' recorded
accuracies re-measured on the committed first 1000 test images."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ilo_solver.io.assets import PINNED_DATA, sha256
from ilo_solver.priors import classifiers as C

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fashion_mnist_test_first1000.npz"


def _fixture():
    with np.load(FIXTURE) as f:
        return (torch.from_numpy(f["images"].astype(np.float32) / 255)[:, None],
                torch.from_numpy(f["labels"].astype(np.int64)))


def _write_idx(path: Path, arr: np.ndarray) -> None:
    head = b"\x00\x00\x08" + bytes([arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(head + arr.astype(np.uint8).tobytes())


def _fake_dataset(root: Path, n_train: int = 600, n_test: int = 200) -> Path:
    with np.load(FIXTURE) as f:
        x, y = f["images"], f["labels"]
    root.mkdir(parents=True, exist_ok=True)
    for split, (a, b) in {"train": (0, n_train), "test": (n_train, n_train + n_test)}.items():
        imgs, labs = C._FILES[split]
        _write_idx(root / imgs, x[a:b])
        _write_idx(root / labs, y[a:b])
    return root


def test_class_index_names_and_errors():
    assert C.class_index("trouser") == 1 and C.class_index("Ankle Boot") == 9 and C.class_index("t_shirt") == 0
    with pytest.raises(ValueError, match="unknown class 'frog'.*trouser"):
        C.class_index("frog")


def test_idx_reader_round_trip_and_bad_files(tmp_path):
    root = _fake_dataset(tmp_path / "fm", 50, 20)
    x, y = C.load_fashion_mnist("train", root)
    with np.load(FIXTURE) as f:
        assert torch.equal((x[:, 0] * 255).round().to(torch.uint8), torch.from_numpy(f["images"][:50]))
        assert torch.equal(y, torch.from_numpy(f["labels"][:50].astype(np.int64)))
    assert x.dtype == torch.float32 and x.shape == (50, 1, 28, 28) and 0 <= float(x.min()) <= float(x.max()) <= 1
    with gzip.open(root / C._FILES["test"][0], "wb") as f:
        f.write(b"\x00\x00\x09\x03" + b"\x00" * 12)
    with pytest.raises(ValueError, match="not a uint8 IDX file"):
        C.load_fashion_mnist("test", root)
    with gzip.open(root / C._FILES["test"][0], "wb") as f:   # header promises more than the file holds
        f.write(b"\x00\x00\x08\x03" + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\x00" * 100)
    with pytest.raises(ValueError, match="header says"):
        C.load_fashion_mnist("test", root)
    with pytest.raises(ValueError, match="split must be"):
        C.load_fashion_mnist("val", root)


def test_missing_data_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv(C.DATA_ENV, str(tmp_path / "none"))
    with pytest.raises(ValueError, match="dataset-fashion-mnist.*dpkg -x"):
        C.load_fashion_mnist("train")


def test_front_end_grey_resize_and_range():
    x = torch.full((2, 3, 64, 64), -1.0)
    x[1] = 1.0
    g = C.FashionClassifier.to_fashion(x)
    assert g.shape == (2, 1, 28, 28)
    assert torch.allclose(g[0], torch.zeros(1)) and torch.allclose(g[1], torch.ones(1), atol=1e-6)
    red = torch.zeros(1, 3, 28, 28)
    red[:, 0] = 1.0                         # pure red: luma 0.299 -> (0.299 + 0) ... mapped from [-1, 1]
    expect = (0.299 * 1 + 0.587 * 0 + 0.114 * 0 + 1) / 2
    assert torch.allclose(C.FashionClassifier.to_fashion(red), torch.full((1, 1, 28, 28), expect))
    with pytest.raises(ValueError, match="expects images"):
        C.FashionClassifier.to_fashion(torch.zeros(3, 64, 64))


def test_classifier_is_differentiable_in_the_image():
    model = C.FashionClassifier(C.FashionNet(4, 8).eval())
    x = torch.zeros(2, 3, 64, 64, requires_grad=True)
    model(x)[:, 3].sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_pgd_stays_in_the_ball_and_the_box_and_raises_the_loss():
    torch.manual_seed(0)
    net = C.FashionNet(4, 16).eval()
    x, y = _fixture()
    x, y = x[:32], y[:32]
    adv = C.pgd_l2(net, x, y, eps=1.0, steps=10, rng=torch.Generator().manual_seed(0))
    d = (adv - x).flatten(1).norm(dim=1)
    assert float(d.max()) <= 1.0 + 1e-5 and float(adv.min()) >= 0 and float(adv.max()) <= 1
    f = torch.nn.functional.cross_entropy
    with torch.no_grad():
        assert float(f(net(adv), y)) > float(f(net(x), y))
    assert all(p.requires_grad for p in net.parameters())          # restored after the attack
    assert torch.equal(C.pgd_l2(net, x, y, eps=0.0, steps=3), x)
    with pytest.raises(ValueError, match="eps must be"):
        C.pgd_l2(net, x, y, eps=-1, steps=3)


def test_training_learns_and_robust_training_runs():
    x, y = _fixture()
    net, losses = C.train_classifier(x[:800], y[:800], epochs=6, batch=32, lr=3e-3, width=8, hidden=32,
                                     rng=torch.Generator().manual_seed(0))
    assert np.mean(losses[-10:]) < 0.7 * np.mean(losses[:10]) and C.accuracy(net, x[800:], y[800:]) > 0.5
    rnet, rl = C.train_classifier(x[:128], y[:128], epochs=1, batch=64, eps=0.5, pgd_steps=2, width=4, hidden=16,
                                  rng=torch.Generator().manual_seed(0))
    assert len(rl) == 2 and np.isfinite(rl).all()
    with pytest.raises(ValueError, match="epochs >= 1"):
        C.train_classifier(x, y, epochs=0, rng=torch.Generator())


def test_save_load_round_trip_and_errors(tmp_path):
    net = C.FashionNet(4, 8).eval()
    p = tmp_path / "c.safetensors"
    C.save_classifier(net, p, note="x")
    m = C.load_classifier(p)
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    assert torch.equal(m(x), C.FashionClassifier(net)(x))
    assert not any(q.requires_grad for q in m.parameters())
    with pytest.raises(ValueError, match="must end in .safetensors"):
        C.save_classifier(net, tmp_path / "c.pt")
    side = p.with_suffix(".json")
    side.write_text(json.dumps(dict(config=dict(width=8, hidden=8))))
    with pytest.raises(ValueError, match="does not hold the weights|not a readable safetensors"):
        C.load_classifier(p)
    side.write_text("{}")
    with pytest.raises(ValueError, match="not a classifier config"):
        C.load_classifier(p)
    p.write_bytes(b"not safetensors")
    side.write_text(json.dumps(dict(config=dict(width=4, hidden=8))))
    with pytest.raises(ValueError, match="does not hold the weights|not a readable safetensors"):
        C.load_classifier(p)
    side.unlink()
    with pytest.raises(ValueError, match="needs both"):
        C.load_classifier(p)


@pytest.mark.parametrize("kind", ["standard", "robust"])
def test_shipped_weights_are_pinned_and_their_sidecar_is_honest(kind):
    """The recorded test accuracy (full 10 000) re-measured on the committed first 1000 test images."""
    from ilo_solver.io.assets import DATA_DIR as d
    for name in (f"fashion_{kind}.safetensors", f"fashion_{kind}.json"):
        assert sha256(d / name) == PINNED_DATA[name]
    meta = json.loads((d / f"fashion_{kind}.json").read_text())
    assert meta["kind"] == kind and meta["command"].startswith("ilo train-classifier")
    assert ("--robust" in meta["command"]) == (kind == "robust")
    model = C.shipped_classifier(kind)
    x, y = _fixture()
    acc = C.accuracy(model.net, x, y)
    assert abs(acc - meta["test_accuracy"]) < 0.04          # 1000 of the 10 000: binomial sd <= 0.016
    n = 200
    att = C.accuracy(model.net, x[:n], y[:n], eps=meta["attack"]["eps"], steps=meta["attack"]["steps"],
                     rng=torch.Generator().manual_seed(1))
    assert abs(att - meta["attack"]["accuracy"]) < 0.12     # 200 images: sd <= 0.036
    if kind == "robust":
        assert att > 0.5
    else:
        assert att < 0.1
    with pytest.raises(ValueError, match="'standard' and 'robust'"):
        C.shipped_classifier("large")


def test_cli_trains_on_a_data_directory_and_refuses_to_overwrite(tmp_path, capsys):
    from ilo_solver.cli import main
    root = _fake_dataset(tmp_path / "fm")
    out = tmp_path / "m" / "clf.safetensors"
    args = ["train-classifier", "--data", str(root), "--epochs", "1", "--width", "4", "--hidden", "8",
            "--eval-steps", "2", "--robust", "--pgd-steps", "1", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["kind"] == "robust" and meta["train_eps_l2"] == 1.5 and 0 <= meta["test_accuracy"] <= 1
    assert "--robust --eps 1.5 --pgd-steps 1" in meta["command"]
    assert C.load_classifier(out)(torch.zeros(1, 3, 64, 64)).shape == (1, 10)
    with pytest.raises(SystemExit):
        main(args)
    assert "exists; not overwriting" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train-classifier", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "x.safetensors")])
    assert "Fashion-MNIST files not found" in capsys.readouterr().err
    assert not (tmp_path / "x.safetensors").exists()


def test_training_draws_its_initialisation_from_rng_only():
    """Same rng seed, same weights; the global torch generator is neither used nor advanced."""
    x, y = _fixture()
    state = torch.random.get_rng_state()
    a, _ = C.train_classifier(x[:64], y[:64], epochs=1, batch=32, width=4, hidden=8,
                              rng=torch.Generator().manual_seed(5))
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.manual_seed(123)                                     # a different global state changes nothing
    b, _ = C.train_classifier(x[:64], y[:64], epochs=1, batch=32, width=4, hidden=8,
                              rng=torch.Generator().manual_seed(5))
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_integer_or_non_finite_classifier_weights_are_refused(tmp_path):
    """An int8 classifier was cast silently; NaN weights gave garbage probabilities."""
    from safetensors.torch import load_file, save_file
    torch.manual_seed(0)
    net = C.FashionNet(4, 8)
    C.save_classifier(net, tmp_path / "c.safetensors", kind="standard")
    state = load_file(str(tmp_path / "c.safetensors"))
    for _name, edit in (("int8", lambda v: v.to(torch.int8)), ("nan", lambda v: v * float("nan"))):
        k = next(iter(state))
        bad = dict(state, **{k: edit(state[k])})
        save_file(bad, str(tmp_path / "c.safetensors"))
        with pytest.raises(ValueError, match="finite floating point"):
            C.load_classifier(tmp_path / "c.safetensors")
