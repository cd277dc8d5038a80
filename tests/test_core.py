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
