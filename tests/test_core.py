import numpy as np
import pytest
import torch

import nnkit


def test_get_device_auto_matches_cuda_availability():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert nnkit.get_device().type == expected
    assert nnkit.get_device("cpu") == torch.device("cpu")
    assert nnkit.get_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "", None, 3])
def test_get_device_rejects_unknown_names(bad):
    with pytest.raises(ValueError, match="prefer must be one of"):
        nnkit.get_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_get_device_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA device"):
        nnkit.get_device("cuda")


@pytest.mark.gpu
def test_get_device_finds_cuda():
    assert nnkit.get_device("cuda").type == "cuda"


def test_seed_everything_repeats_numpy_and_torch_draws():
    rng = nnkit.seed_everything(123)
    first = (np.random.rand(3), torch.rand(3), rng.normal(size=3))
    rng = nnkit.seed_everything(123)
    second = (np.random.rand(3), torch.rand(3), rng.normal(size=3))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    nnkit.seed_everything(124)
    assert not np.array_equal(np.random.rand(3), first[0])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", 2**32, True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be an integer"):
        nnkit.seed_everything(bad)


# --- core helpers -------------------------------------------------------------------------------------------------
from torch import nn  # noqa: E402

from nnkit.core.nets import make_activation, mlp  # noqa: E402
from nnkit.core.runtime import seeded  # noqa: E402
from nnkit.core.training import KeepBest, check_fitted, new_history, progress, record  # noqa: E402
from nnkit.core.validation import check_fraction, check_nonnegative, check_observation  # noqa: E402


def test_seeded_repeats_the_block_and_restores_the_caller_state():
    before = torch.get_rng_state()
    with seeded(5):
        first = torch.rand(3)
    assert torch.equal(torch.get_rng_state(), before)
    with seeded(5):
        np.testing.assert_array_equal(torch.rand(3).numpy(), first.numpy())
    with seeded(6):
        assert not torch.equal(torch.rand(3), first)
    with pytest.raises(ValueError, match="seed must be an integer"):
        with seeded(-1):
            pass


def test_history_record_and_keep_best():
    history = new_history("extra")
    assert set(history) == {"step", "train_loss", "val_loss", "best_step", "seconds", "extra"}
    net = nn.Linear(1, 1)
    best = KeepBest(net)
    for step, val in enumerate([3.0, 1.0, 2.0, 5.0]):
        if step == 1:
            kept = net.weight.detach().clone()
        record(history, step, 10 - step, val, extra=step * 2)
        best.update(val, step)
        with torch.no_grad():
            net.weight.add_(1.0)
    assert history["step"] == [0, 1, 2, 3] and history["val_loss"] == [3.0, 1.0, 2.0, 5.0]
    assert history["extra"] == [0, 2, 4, 6] and best.waited == 2
    assert best.restore() == 1 and torch.equal(net.weight, kept)
    assert KeepBest(net).restore() is None
    record(history, 4, 1.0)                     # no held-out data: val_loss is not extended
    assert len(history["val_loss"]) == 4


def test_not_fitted_and_progress():
    class Thing:
        pass

    with pytest.raises(RuntimeError, match=r"Thing is not fitted; call fit\(run, steps\) first"):
        check_fitted(Thing(), "net", "fit(run, steps)")
    items = range(3)
    assert progress(items, "x", enabled=False) is items
    assert list(progress(items, "x", enabled=True)) == [0, 1, 2]


@pytest.mark.parametrize("call, message", [
    (lambda: check_fraction(1.0, "val_fraction"), r"val_fraction must be in \[0, 1\); got 1.0"),
    (lambda: check_fraction(0.0, "level", include_zero=False), r"level must be in \(0, 1\)"),
    (lambda: check_fraction("0.1", "f"), "f must be in"),
    (lambda: check_nonnegative(-1e-9, "weight_decay"), "weight_decay must be a finite number >= 0"),
    (lambda: check_nonnegative(float("nan"), "noise"), "noise must be a finite number >= 0"),
    (lambda: check_observation([1.0, 2.0], 3, "output"), r"y_obs must hold 3 values \(one per output\); got 2"),
    (lambda: check_observation([[1.0, np.inf]], 2), "y_obs contains 1 NaN or inf"),
    (lambda: make_activation("gelu"), "activation must be one of"),
    (lambda: mlp(1, 1, activation="swish"), "activation must be one of"),
])
def test_core_checks_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_one_activation_table_serves_modules_and_functions():
    z = torch.linspace(-2, 2, 5)
    torch.testing.assert_close(make_activation("relu")(z), torch.relu(z))
    torch.testing.assert_close(make_activation("sin")(z), torch.sin(z))
    torch.testing.assert_close(make_activation("identity")(z), z)
    assert check_fraction(0.0, "f") == 0.0 and check_observation([[1.0, 2.0]], 2).shape == (2,)
