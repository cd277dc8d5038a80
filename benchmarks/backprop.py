"""Figures for the hand-written back propagation (issue: foundation). Prints, asserts nothing.

1. Largest relative error of nnkit.basics.backprop gradients against torch autograd (float64), depth 1-5, width 1-64.
2. One training step of MLP [1, 64, 64, 1] on a batch of 256: numpy (nnkit) against torch on the CPU, side by side.
"""
import time

import numpy as np
import torch

from nnkit.basics.backprop import ACTIVATIONS, MLP, autograd_loss_and_grads, max_relative_error


def agreement_with_autograd():
    rng = np.random.default_rng(0)
    worst, cases = 0.0, 0
    for depth in range(1, 6):
        for width in (1, 2, 4, 8, 16, 32, 64):
            for activation in ACTIVATIONS:
                net = MLP([3] + [width] * depth + [2], activation=activation, output_activation="tanh",
                          seed=depth * 1000 + width)
                x, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 2))
                _, grads = net.loss_and_grads(x, y)
                _, grads_t = autograd_loss_and_grads(net, x, y)
                worst = max(worst, max_relative_error(grads, grads_t))
                cases += 1
    return worst, cases


def median_time(fn, repeat, warmup=20):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def training_step_times(batch=256, repeat=300):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(batch, 1))
    y = np.sin(3 * x)
    net = MLP([1, 64, 64, 1], activation="tanh", seed=0)
    lr = 1e-3

    def numpy_step():
        _, grads = net._loss_and_grads(x, y)  # validated once above; the step itself as fit() runs it
        for p, g in zip(net.params, grads):
            p -= lr * g

    net.loss_and_grads(x, y)  # validates the data once
    results = {"numpy float64 (nnkit)": median_time(numpy_step, repeat)}
    for dtype in (torch.float64, torch.float32):
        model = torch.nn.Sequential(torch.nn.Linear(1, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64),
                                    torch.nn.Tanh(), torch.nn.Linear(64, 1)).to(dtype)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        xt, yt = torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=dtype)

        def torch_step():
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.mse_loss(model(xt), yt).backward()
            opt.step()

        results[f"torch {str(dtype).split('.')[-1]} (CPU, autograd)"] = median_time(torch_step, repeat)
    return results


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    worst, cases = agreement_with_autograd()
    print(f"\n[1] gradients vs torch autograd, float64, {cases} random networks (depth 1-5, width 1-64, "
          f"{len(ACTIVATIONS)} activations)")
    print(f"    largest relative error: {worst:.2e}   (target <= 1e-10)")
    times = training_step_times()
    print("\n[2] one training step, MLP [1, 64, 64, 1], batch 256 (median of 300)")
    for name, seconds in times.items():
        print(f"    {name:32s} {seconds * 1e6:8.1f} us")
    ratio = times["numpy float64 (nnkit)"] / times["torch float64 (CPU, autograd)"]
    print(f"    numpy / torch (float64) time ratio: {ratio:.2f}   (target <= 2)")


if __name__ == "__main__":
    main()
