"""The exercise self-checks: solutions pass, wrong answers fail loudly, unfinished stubs are reported."""
import nbformat
import numpy as np
import pytest
import torch

from nnkit.basics import approx
from nnkit.basics.backprop import layer_backward
from nnkit.core.scaling import sigmoid
from nnkit.spectral import bias as spectral_bias
from nnkit.spectral.fourier import dominant_frequency, kappa_for_frequency
from nnkit.teach.checks import basics, inference, seaice, sites, spectral
from tools.run_notebooks import notebook_paths


def solution_namespace():
    """Execute every solution cell of every notebook, after its parameters and set-up cells, into one namespace."""
    namespace = {}
    for path in notebook_paths():
        nb = nbformat.read(str(path), as_version=4)
        setup = [c.source for c in nb.cells if c.cell_type == "code"
                 and ("parameters" in c.metadata.get("tags", []) or c.source.lstrip().startswith("import"))]
        exec("\n".join(setup), namespace)
        for cell in nb.cells:
            if "solution" in cell.metadata.get("tags", []):
                exec(cell.source, namespace)
    return namespace


SOLUTIONS = solution_namespace()
CHECKS = {name.removeprefix("check_"): check for module in (basics, spectral, inference, sites, seaice)
          for name, check in vars(module).items() if name.startswith("check_")}


def test_every_solution_in_the_notebooks_has_a_check():
    assert set(CHECKS) <= set(SOLUTIONS), f"missing solutions for {set(CHECKS) - set(SOLUTIONS)}"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_notebook_solutions_pass(name, capsys):
    assert CHECKS[name](SOLUTIONS[name]) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_checks_leave_the_global_random_state_alone(name):
    """A notebook then draws the same numbers after a check whether its exercise is solved or not."""
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    CHECKS[name](SOLUTIONS[name])
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1]) and after[2:] == numpy_state[2:]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_unfinished_stub_is_reported_not_raised(name, capsys):
    def stub(*args):
        raise NotImplementedError

    assert CHECKS[name](stub) is False
    assert "not implemented yet" in capsys.readouterr().out


def wrong_linear_gradient_no_factor_two(w, b, x, y):
    residual = w * x + b - y
    return np.mean(residual * x), np.mean(residual)


def wrong_linear_gradient_sign(w, b, x, y):
    residual = w * x + b - y
    return -2 * np.mean(residual * x), -2 * np.mean(residual)


def wrong_descend_uphill(gradient, w0, b0, x, y, lr, steps):
    ws, bs = [w0], [b0]
    for _ in range(steps):
        dw, db = gradient(ws[-1], bs[-1], x, y)
        ws.append(ws[-1] + lr * dw), bs.append(bs[-1] + lr * db)
    return np.array(ws), np.array(bs)


def wrong_descend_without_the_start(gradient, w0, b0, x, y, lr, steps):
    ws, bs = [], []
    w, b = w0, b0
    for _ in range(steps):
        dw, db = gradient(w, b, x, y)
        w, b = w - lr * dw, b - lr * db
        ws.append(w), bs.append(b)
    return np.array(ws), np.array(bs)


def wrong_descend_updates_b_with_the_new_w(gradient, w0, b0, x, y, lr, steps):
    ws, bs = [w0], [b0]
    for _ in range(steps):
        w = ws[-1] - lr * gradient(ws[-1], bs[-1], x, y)[0]
        ws.append(w), bs.append(bs[-1] - lr * gradient(w, bs[-1], x, y)[1])
    return np.array(ws), np.array(bs)


def wrong_logistic_gradient_sign(w, b, x, y):
    residual = sigmoid(x @ w + b) - y
    return x.T @ -residual / len(y), -np.mean(residual)


def wrong_logistic_gradient_sum(w, b, x, y):
    residual = sigmoid(x @ w + b) - y
    return x.T @ residual, np.sum(residual)


def wrong_logistic_gradient_no_sigmoid(w, b, x, y):
    residual = x @ w + b - y
    return x.T @ residual / len(y), np.mean(residual)


def wrong_train_step_not_in_place(net, x, y, lr):
    loss, grads = net.loss_and_grads(x, y)
    for p, g in zip(net.params, grads):
        p = p - lr * g  # a new array: the network keeps its old weights
    return loss


def wrong_train_step_uphill(net, x, y, lr):
    loss, grads = net.loss_and_grads(x, y)
    for p, g in zip(net.params, grads):
        p += lr * g
    return loss


def wrong_train_step_loss_after(net, x, y, lr):
    _, grads = net.loss_and_grads(x, y)
    for p, g in zip(net.params, grads):
        p -= lr * g
    return net.loss(x, y)


def wrong_sum_of_bumps_left_edge_heights(f, n, x):
    edges = np.linspace(0, 1, n + 1)
    return sum(approx.bump(x, edges[i], edges[i + 1], f(edges[i]), 10 * n) for i in range(n))


def wrong_sum_of_bumps_one_cell_short(f, n, x):
    edges = np.linspace(0, 1, n)
    centres = 0.5 * (edges[:-1] + edges[1:])
    return sum(approx.bump(x, edges[i], edges[i + 1], f(centres[i]), 10 * n) for i in range(n - 1)) + 0 * x


def wrong_sum_of_bumps_fixed_steepness(f, n, x):
    edges = np.linspace(0, 1, n + 1)
    return sum(approx.bump(x, edges[i], edges[i + 1], f(0.5 * (edges[i] + edges[i + 1])), 10.0) for i in range(n))


def wrong_tower_threshold_at_one(x1, x2, box, height, steepness):
    inner = approx.bump(x1, *box[:2], 1.0, steepness) + approx.bump(x2, *box[2:], 1.0, steepness)
    return height * sigmoid(steepness * (inner - 1.0))


def wrong_tower_product_of_bumps(x1, x2, box, height, steepness):
    return height * approx.bump(x1, *box[:2], 1.0, steepness) * approx.bump(x2, *box[2:], 1.0, steepness)


def tracking_with(zero_grad=True, final_record=True, optimiser=torch.optim.Adam):
    """The frequency-tracking loop with one slip: gradients piling up, no record after the last step, or SGD."""
    def track(net, x, y, freqs, n_iter, every, lr):
        opt, fits = optimiser(net.parameters(), lr=lr), []
        for it in range(n_iter):
            if it % every == 0:
                fits.append(net(x)[:, 0].detach().numpy().copy())
            if zero_grad:
                opt.zero_grad()
            torch.mean((net(x) - y) ** 2).backward()
            opt.step()
        if final_record:
            fits.append(net(x)[:, 0].detach().numpy().copy())
        return spectral_bias.frequency_errors(np.array(fits), y[:, 0].numpy(), freqs)
    return track


def wrong_gradient_norms_of_the_modulus(net, x, freqs):
    params = list(net.parameters())
    c = torch.fft.rfft(net(x)[:, 0]) / len(x)
    return np.array([np.sqrt(sum(float((g**2).sum()) for g in torch.autograd.grad(c[k].abs(), params,
                                                                                      retain_graph=True)))
                     for k in freqs])


def wrong_gradient_norms_unnormalised(net, x, freqs):
    return spectral_bias.coefficient_gradient_norms(net, x, freqs) * len(x)


def wrong_sine_layer_kappa_on_the_bias(x, W, b, kappa):
    return np.sin(kappa * (x @ W.T + b))


def wrong_sine_layer_without_kappa(x, W, b, kappa):
    return np.sin(x @ W.T + b)


def wrong_sine_layer_cosine(x, W, b, kappa):
    return np.cos(kappa * x @ W.T + b)


def wrong_kernel_not_averaged(v1, v2, B):
    p1, p2 = 2 * np.pi * v1 @ B.T, 2 * np.pi * v2 @ B.T
    return np.cos(p1) @ np.cos(p2).T + np.sin(p1) @ np.sin(p2).T


def wrong_kernel_cos_only(v1, v2, B):
    return np.cos(2 * np.pi * v1 @ B.T) @ np.cos(2 * np.pi * v2 @ B.T).T / len(B)


def wrong_stage_target_std(y, prediction):
    residue = y - prediction
    return residue / residue.std(), residue.std()


def wrong_stage_target_half_max(y, prediction):
    residue = y - prediction
    return residue / (np.abs(residue).max() / 2), np.abs(residue).max() / 2


def stage_loop_with(scale=lambda r: np.sqrt(np.mean(r**2)), add_eps=True, kappa_at_zero=False):
    """The stage loop with one of three plausible slips switched on."""
    def loop(x, y, n_stages, fit_stage):
        prediction, scales, kappas = np.zeros_like(y), [], []
        for stage in range(n_stages):
            residue = y - prediction
            eps = scale(residue)
            f_d = max(dominant_frequency(residue, length=2.0), 0.5)
            kappa = kappa_for_frequency(f_d, 1, 20) if stage or kappa_at_zero else 1.0
            fit = fit_stage(x, residue / eps, kappa)(x)
            prediction = prediction + (eps * fit if add_eps else fit)
            scales.append(eps), kappas.append(kappa)
        return prediction, np.array(scales), np.array(kappas)
    return loop


def wrong_chain_missing_w2(x, y, w1, b1, w2, b2):
    z1 = w1 * x + b1
    z2 = w2 * sigmoid(z1) + b2
    d2 = 2 * (sigmoid(z2) - y) * sigmoid(z2) * (1 - sigmoid(z2))
    d1 = d2 * sigmoid(z1) * (1 - sigmoid(z1))  # forgot the factor w2
    return np.mean(d1 * x), np.mean(d1), np.mean(d2 * sigmoid(z1)), np.mean(d2)


def wrong_layer_without_activation_slope(grad_a, dsigma_dz, a_prev, W):
    return a_prev.T @ grad_a, grad_a.sum(axis=0), grad_a @ W.T


def wrong_layer_mean_bias(grad_a, dsigma_dz, a_prev, W):
    d_W, d_b, d_a = layer_backward(grad_a, dsigma_dz, a_prev, W)
    return d_W, d_b / len(grad_a), d_a


def wrong_layer_bad_shape(grad_a, dsigma_dz, a_prev, W):
    d_W, d_b, d_a = layer_backward(grad_a, dsigma_dz, a_prev, W)
    return d_W.T, d_b, d_a


def wrong_bump_single_step(x, left, right, height, steepness):
    return height * sigmoid(steepness * (x - left))


def wrong_coefficient_error_magnitudes_only(fit, target, k):
    return abs(abs(np.fft.rfft(fit)[k]) - abs(np.fft.rfft(target)[k])) / abs(np.fft.rfft(target)[k])


def wrong_stage_kappa_per_unit_of_x(residue, width):
    return 1.2 * np.pi * dominant_frequency(residue, length=1.0) / np.sqrt(2 / (1 + width))


def wrong_bump_steepness_outside(x, left, right, height, steepness):
    return height * (sigmoid(steepness * x - left) - sigmoid(steepness * x - right))


def wrong_chain_no_factor_two(x, y, w1, b1, w2, b2):
    return tuple(g / 2 for g in basics.neuron_chain_gradients(x, y, w1, b1, w2, b2))


def wrong_chain_missing_first_slope(x, y, w1, b1, w2, b2):
    z1 = w1 * x + b1
    z2 = w2 * sigmoid(z1) + b2
    d2 = 2 * (sigmoid(z2) - y) * sigmoid(z2) * (1 - sigmoid(z2))
    d1 = d2 * w2  # forgot sigma'(z1)
    return np.mean(d1 * x), np.mean(d1), np.mean(d2 * sigmoid(z1)), np.mean(d2)


def wrong_coefficient_error_absolute(fit, target, k):
    return abs(np.fft.rfft(fit)[k] - np.fft.rfft(target)[k])


def wrong_fourier_features_no_two_pi(v, B):
    proj = v @ B.T
    return np.concatenate([np.cos(proj), np.sin(proj)], axis=1)


def wrong_fourier_features_cos_only(v, B):
    return np.cos(2 * np.pi * v @ B.T)


def test_fourier_features_accepts_the_interleaved_order_of_the_slides(capsys):
    def interleaved(v, B):
        proj = 2 * np.pi * v @ B.T
        return np.stack([np.cos(proj), np.sin(proj)], axis=2).reshape(len(v), -1)

    assert CHECKS["fourier_features"](interleaved)
    assert "agrees with nnkit" in capsys.readouterr().out


def wrong_stage_kappa_angular(residue, width):
    return 2 * np.pi * dominant_frequency(residue, length=2.0) / np.sqrt(2 / (1 + width))


def wrong_repulsive_sign(x, h):
    diff = x[None, :, :] - x[:, None, :]  # x_j - x_i: pulls particles together
    K = np.exp(-np.sum(diff**2, axis=-1) / h)
    return (2 / h) * np.einsum("ij,ijd->id", K, diff) / len(x)


def wrong_repulsive_sum_not_mean(x, h):
    diff = x[:, None, :] - x[None, :, :]  # x_i - x_j: pushes particles apart
    K = np.exp(-np.sum(diff**2, axis=-1) / h)
    return (2 / h) * np.einsum("ij,ijd->id", K, diff)


def wrong_repulsive_factor_one_over_h(x, h):
    diff = x[:, None, :] - x[None, :, :]
    K = np.exp(-np.sum(diff**2, axis=-1) / h)
    return (1 / h) * np.einsum("ij,ijd->id", K, diff) / len(x)


def wrong_moments_sample_variance(f, noise_var):
    mean = f.mean(axis=0)
    return mean, np.broadcast_to(noise_var.mean(axis=0), mean.shape), f.var(axis=0, ddof=1)


def wrong_coupling_inverse_scale_first(v, s, t):
    d1 = v.shape[1] // 2
    v1, v2 = v[:, :d1], v[:, d1:]
    return np.hstack([v1, v2 * np.exp(-s(v1)) - t(v1)])


def wrong_svgd_step_without_repulsion(x, scores, h, step):
    K = np.exp(-np.sum((x[:, None] - x[None]) ** 2, axis=-1) / h)
    return x + step * K @ scores / len(x)


def wrong_svgd_step_downhill(x, scores, h, step):
    diff = x[:, None, :] - x[None, :, :]
    K = np.exp(-np.sum(diff**2, axis=-1) / h)
    phi = (K @ scores + (2 / h) * np.einsum("ij,ijd->id", K, diff)) / len(x)
    return x - step * phi


def wrong_loop_one_particle_at_a_time(x0, score_fn, step, n_iter, direction):
    x = x0.copy()
    for _ in range(n_iter):
        for i in range(len(x)):  # later particles already see the moved earlier ones
            x[i] = x[i] + step * direction(x, score_fn(x))[i]
    return x


def wrong_loop_stale_scores(x0, score_fn, step, n_iter, direction):
    x, scores = x0.copy(), score_fn(x0)
    for _ in range(n_iter):
        x = x + step * direction(x, scores)
    return x


def bnn_log_posterior_with(weight_normaliser=True, jacobian=True, half=0.5):
    """One particle's log posterior with one of three slips switched off or on."""
    def log_post(pred, y, w, log_gamma, log_lambda, a0, b0):
        gamma, lam, n = np.exp(log_gamma), np.exp(log_lambda), len(y)
        shape = a0 if jacobian else a0 - 1
        return float(np.sum(half * n * log_gamma - 0.5 * gamma * ((pred - y) ** 2).sum(axis=0))
                     + (0.5 * len(w) * log_lambda if weight_normaliser else 0.0) - 0.5 * lam * np.sum(w**2)
                     + np.sum(shape * log_gamma - b0 * gamma) + shape * log_lambda - b0 * lam)
    return log_post


def wrong_gamma_without_jacobian(sq_err, n, a0, b0):
    return (0.5 * n + a0 - 1) / (0.5 * sq_err + b0)


def wrong_gamma_full_sse(sq_err, n, a0, b0):
    return (0.5 * n + a0) / (sq_err + b0)


def wrong_coupling_log_det_of_the_inverse(u, s, t):
    d1 = u.shape[1] // 2
    u1, u2 = u[:, :d1], u[:, d1:]
    return np.hstack([u1, u2 * np.exp(s(u1)) + t(u1)]), -s(u1).sum(axis=1)


def wrong_coupling_log_det_of_exp(u, s, t):
    d1 = u.shape[1] // 2
    u1, u2 = u[:, :d1], u[:, d1:]
    return np.hstack([u1, u2 * np.exp(s(u1)) + t(u1)]), np.exp(s(u1)).sum(axis=1)


def mmd_with(kernel=lambda d2, h: h**2 / (h**2 + d2), cross=2.0, drop_diagonal=False):
    """The squared MMD with one of three slips: another kernel, the cross term once, the diagonal dropped."""
    def mean_k(a, b, scales, same):
        d2 = ((a[:, None] - b[None]) ** 2).sum(-1)
        k = sum(kernel(d2, h) for h in scales)
        if same and drop_diagonal and len(a) > 1:
            return (k.sum() - np.trace(k)) / (len(a) * (len(a) - 1))
        return k.mean()

    return lambda a, b, scales: (mean_k(a, a, scales, True) + mean_k(b, b, scales, True)
                                 - cross * mean_k(a, b, scales, False))


def wrong_global_loss_over_all_cells(error, mask, weight):
    n = mask.sum()
    return float((error**2).sum() / (n * len(error)) + weight * np.mean((error.sum(axis=(1, 2)) / mask.size) ** 2))


def wrong_global_loss_batch_mean_first(error, mask, weight):
    n = mask.sum()
    return float((error**2).sum() / (n * len(error)) + weight * np.mean(error.sum(axis=(1, 2)) / n) ** 2)


def wrong_rollout_keeps_the_first_previous_state(step, h0, h_prev, forcing, n_leads):
    out, now = [], h0
    for k in range(n_leads):
        now = step(now, h_prev, forcing[k], forcing[k + 1])
        out.append(now)
    return np.stack(out)


def wrong_rollout_forcing_one_ahead(step, h0, h_prev, forcing, n_leads):
    out, now, prev = [], h0, h_prev
    for k in range(n_leads):
        prev, now = now, step(now, prev, forcing[min(k + 1, n_leads)], forcing[min(k + 1, n_leads)])
        out.append(now)
    return np.stack(out)


def rk4_with(weights=(1, 2, 2, 1), last_time_offset=1.0):
    """A Runge-Kutta step with wrong stage weights, or its last stage evaluated at the wrong time."""
    def step(z, t, dt, velocity):
        k1 = velocity(z, t)
        k2 = velocity(z + 0.5 * dt * k1, t + 0.5 * dt)
        k3 = velocity(z + 0.5 * dt * k2, t + 0.5 * dt)
        k4 = velocity(z + dt * k3, t + last_time_offset * dt)
        return z + dt / sum(weights) * (weights[0] * k1 + weights[1] * k2 + weights[2] * k3 + weights[3] * k4)
    return step


def generator_fit_with(swap_inputs=False, zero_grad=True, optimiser=torch.optim.Adam):
    """The generator's training loop with one slip: [z, y] inputs, gradients piling up, or plain SGD."""
    def fit(net, y, z, x, n_iter, lr, batch_size, seed):
        inputs = torch.cat([z, y] if swap_inputs else [y, z], dim=1)
        opt, gen = optimiser(net.parameters(), lr=lr), torch.Generator().manual_seed(seed)
        for _ in range(n_iter):
            rows = torch.randint(0, len(x), (batch_size,), generator=gen)
            if zero_grad:
                opt.zero_grad()
            ((net(inputs[rows]) - x[rows]) ** 2).mean().backward()
            opt.step()
        return net
    return fit


def wrong_likelihood_without_surrogate_variance(mean, var, y_obs, noise_sd):
    total = noise_sd**2 + 0 * var
    return -0.5 * ((mean - y_obs) ** 2 / total + np.log(total)).sum(axis=1)


def wrong_likelihood_without_log_variance(mean, var, y_obs, noise_sd):
    total = noise_sd**2 + var
    return -0.5 * ((mean - y_obs) ** 2 / total).sum(axis=1)


def metropolis_with(rule="log", keep_new_logp=False):
    """A Metropolis step with one slip: u against the log ratio, greedy acceptance, or the proposal's log p kept."""
    def step(x, logp, proposal, logp_proposal, u):
        delta = logp_proposal - logp
        accept = {"log": np.log(u) < delta, "plain": u < delta, "greedy": delta > 0}[rule]
        return np.where(accept[:, None], proposal, x), logp_proposal if keep_new_logp else np.where(accept,
                                                                                                    logp_proposal, logp)
    return step


def metropolis_chain_with(slip):
    """Random-walk Metropolis with one slip: the proposal recorded even when rejected, the step used as a variance,
    or the uniforms drawn before the proposal noise."""
    def chain(log_density, x0, n_steps, step_size, seed):
        rng = np.random.default_rng(seed)
        x, logp = x0.copy(), log_density(x0)
        draws, accepted = np.empty((n_steps, *x0.shape)), 0
        scale = step_size**2 if slip == "variance" else step_size
        for t in range(n_steps):
            if slip == "uniform first":
                u = rng.uniform(size=len(x))
                proposal = x + scale * rng.standard_normal(x.shape)
            else:
                proposal = x + scale * rng.standard_normal(x.shape)
                u = rng.uniform(size=len(x))
            logp_proposal = log_density(proposal)
            accept = np.log(u) < logp_proposal - logp
            draws[t] = proposal if slip == "record proposal" else np.where(accept[:, None], proposal, x)
            x, logp = np.where(accept[:, None], proposal, x), np.where(accept, logp_proposal, logp)
            accepted += accept.sum()
        return draws, accepted / (n_steps * len(x0))
    return chain


def split_r_hat_with(slip):
    """Split-R-hat with one slip: no splitting, ddof 0 variances, or B / n taken as n times too large."""
    def r_hat(draws):
        half = draws.shape[0] // 2
        halves = draws if slip == "no split" else np.concatenate([draws[:half], draws[-half:]], axis=1)
        n = halves.shape[0]
        ddof = 0 if slip == "ddof 0" else 1
        within = halves.var(axis=0, ddof=ddof).mean()
        between_over_n = halves.mean(axis=0).var(ddof=ddof) * (n if slip == "B not over n" else 1)
        return float(np.sqrt(((n - 1) / n * within + between_over_n) / within))
    return r_hat


def autocorrelation_with(slip):
    """The autocorrelation with one slip: no centring, or each lag's sum divided by its own n - k pairs."""
    def rho(x):
        n = len(x)
        centred = x if slip == "not centred" else x - x.mean()
        sums = np.array([centred[:n - k] @ centred[k:] for k in range(n)])
        if slip == "per-lag mean":
            sums = sums / (n - np.arange(n))
        return sums / sums[0]
    return rho


def wrong_moments_without_noise(f, noise_var):
    mean = f.mean(axis=0)
    return mean, np.zeros_like(mean), f.var(axis=0)  # forgets the aleatoric part


def wrong_coupling_inverse_sign(v, s, t):
    d1 = v.shape[1] // 2
    return np.hstack([v[:, :d1], (v[:, d1:] - t(v[:, :d1])) * np.exp(s(v[:, :d1]))])  # multiplies instead of divides


def wrong_mc_score_unstable(z, t, x_prior, log_k, eps):
    alpha, beta2 = 1 - (1 - eps) * t, eps + (1 - eps) * t
    weights = np.exp(log_k - ((z[:, None, :] - alpha * x_prior) ** 2).sum(axis=2) / (2 * beta2))  # underflows
    return (alpha * (weights @ x_prior) / weights.sum(axis=1, keepdims=True) - z) / beta2


def wrong_mc_score_unscaled_prior(z, t, x_prior, log_k, eps):
    alpha, beta2 = 1 - (1 - eps) * t, eps + (1 - eps) * t
    logits = log_k - ((z[:, None, :] - x_prior) ** 2).sum(axis=2) / (2 * beta2)  # forgets alpha_t on x_j
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (alpha * (weights @ x_prior) / weights.sum(axis=1, keepdims=True) - z) / beta2


def wrong_logit_prior_naive(w):
    u = 1 / (1 + np.exp(-w))  # 0 or 1 for large |w|, so the log is -inf
    return np.log(u * (1 - u)).sum(axis=1)


def wrong_partial_conv_not_renormalised(x, mask, weight, bias):
    k = weight.shape[0]
    xm = np.pad(x * mask, k // 2)
    out = np.zeros(x.shape)
    for i, j in zip(*np.nonzero(mask)):
        out[i, j] = (weight * xm[i:i + k, j:j + k]).sum() + bias    # a plain convolution of the land-zeroed field
    return out


def site_weights_with(squared=True, normalised=True, stable=True):
    def weights(c_runs, c_obs, bandwidth):
        scaled = (c_runs - c_obs) / (bandwidth if squared else np.sqrt(bandwidth))
        log_w = -0.5 * (scaled**2).sum(axis=1)
        w = np.exp(log_w - log_w.max()) if stable else np.exp(log_w)
        return w / w.sum() if normalised else w
    return weights


def coverage_with(bounds):
    def coverage(truth, draws, level):
        lo, hi = np.quantile(draws, bounds(level), axis=1)
        return ((truth >= lo) & (truth <= hi)).mean(axis=0)
    return coverage


def flow_nll_with(log_det_sign=-1.0, half=0.5, constant=True, reduce=np.mean):
    def nll(z, log_det):
        const = 0.5 * z.shape[1] * np.log(2 * np.pi) if constant else 0.0
        return float(reduce(half * (z**2).sum(axis=1) + log_det_sign * log_det + const))
    return nll


def break_even_with(rounding=np.ceil, amortised_cost=True):
    def break_even(train_seconds, amortised_per_site, per_site):
        saving = per_site - (amortised_per_site if amortised_cost else 0.0)
        return np.inf if saving <= 0 else max(1.0, float(rounding(train_seconds / saving)))
    return break_even


@pytest.mark.parametrize("name,wrong,match", [
    ("site_kernel_weights", site_weights_with(squared=False), "weights is wrong"),
    ("site_kernel_weights", site_weights_with(normalised=False), "weights is wrong"),
    ("site_kernel_weights", site_weights_with(stable=False), "weights is wrong in case 2"),
    ("coverage_across_sites", coverage_with(lambda level: [0.0, level]), "coverage is wrong"),
    ("coverage_across_sites", coverage_with(lambda level: [level / 2, 1 - level / 2]), "coverage is wrong"),
    ("coverage_across_sites", lambda truth, draws, level: coverage_with(
        lambda q: [(1 - q) / 2, (1 + q) / 2])(truth, draws, level).mean(), "coverage must have shape"),
    ("break_even_sites", break_even_with(rounding=np.floor), "break-even number of sites is wrong"),
    ("break_even_sites", break_even_with(amortised_cost=False), "break-even number of sites is wrong"),
    ("break_even_sites", lambda t, a, m: t / m, "break-even number of sites is wrong"),
    ("flow_nll", flow_nll_with(log_det_sign=1.0), "negative log-likelihood is wrong"),
    ("flow_nll", flow_nll_with(half=1.0), "negative log-likelihood is wrong"),
    ("flow_nll", flow_nll_with(constant=False), "negative log-likelihood is wrong"),
    ("flow_nll", flow_nll_with(reduce=np.sum), "negative log-likelihood is wrong in case 1"),
    ("random_walk_metropolis", metropolis_chain_with("record proposal"), "draws is wrong"),
    ("random_walk_metropolis", metropolis_chain_with("variance"), "draws is wrong"),
    ("random_walk_metropolis", metropolis_chain_with("uniform first"), "draws is wrong"),
    ("split_r_hat", split_r_hat_with("no split"), "split-R-hat is wrong"),
    ("split_r_hat", split_r_hat_with("ddof 0"), "split-R-hat is wrong"),
    ("split_r_hat", split_r_hat_with("B not over n"), "split-R-hat is wrong"),
    ("autocorrelation", autocorrelation_with("not centred"), "rho is wrong"),
    ("autocorrelation", autocorrelation_with("per-lag mean"), "rho is wrong"),
    ("partial_conv", wrong_partial_conv_not_renormalised, "output is wrong"),
    ("partial_conv", lambda x, mask, weight, bias: x, "output is wrong"),
    ("mc_score", wrong_mc_score_unstable, "S is wrong in case 3"),
    ("mc_score", wrong_mc_score_unscaled_prior, "S is wrong"),
    ("logit_prior", wrong_logit_prior_naive, "log density is wrong in case 2"),
    ("logit_prior", lambda w: -np.logaddexp(0, -w).sum(axis=1), "log density is wrong"),
    ("coupling_inverse", wrong_coupling_inverse_sign, "u is wrong"),
    ("surrogate_log_likelihood", wrong_likelihood_without_surrogate_variance, "log likelihood is wrong"),
    ("surrogate_log_likelihood", wrong_likelihood_without_log_variance, "log likelihood is wrong"),
    ("metropolis_step", metropolis_with(rule="plain"), "is wrong"),
    ("metropolis_step", metropolis_with(rule="greedy"), "is wrong"),
    ("metropolis_step", metropolis_with(keep_new_logp=True), "log p after the step is wrong"),
    ("rk4_step", lambda z, t, dt, velocity: z + dt * velocity(z, t), "z after the step is wrong"),
    ("rk4_step", rk4_with(weights=(1, 1, 1, 1)), "z after the step is wrong"),
    ("rk4_step", rk4_with(last_time_offset=0.0), "z after the step is wrong"),
    ("fit_generator", generator_fit_with(swap_inputs=True), "generator output after training is wrong"),
    ("fit_generator", generator_fit_with(zero_grad=False), "generator output after training is wrong"),
    ("fit_generator", generator_fit_with(optimiser=torch.optim.SGD), "generator output after training is wrong"),
    ("local_global_loss", wrong_global_loss_over_all_cells, "loss is wrong"),
    ("local_global_loss", wrong_global_loss_batch_mean_first, "loss is wrong"),
    ("autoregressive_rollout", wrong_rollout_keeps_the_first_previous_state, "rollout is wrong"),
    ("autoregressive_rollout", wrong_rollout_forcing_one_ahead, "rollout is wrong"),
    ("coupling_forward", wrong_coupling_log_det_of_the_inverse, r"log\|det J\| is wrong"),
    ("coupling_forward", wrong_coupling_log_det_of_exp, r"log\|det J\| is wrong"),
    ("mmd_squared", mmd_with(kernel=lambda d2, h: np.exp(-d2 / h**2)), r"MMD\^2 is wrong"),
    ("mmd_squared", mmd_with(cross=1.0), r"MMD\^2 is wrong"),
    ("mmd_squared", mmd_with(drop_diagonal=True), r"MMD\^2 is wrong"),
    ("coupling_inverse", wrong_coupling_inverse_scale_first, "u is wrong"),
    ("predictive_moments", wrong_moments_sample_variance, "epistemic is wrong"),
    ("repulsive_term", wrong_repulsive_sum_not_mean, "repulsive term is wrong"),
    ("repulsive_term", wrong_repulsive_factor_one_over_h, "repulsive term is wrong"),
    ("predictive_moments", wrong_moments_without_noise, "aleatoric is wrong"),
    ("repulsive_term", wrong_repulsive_sign, "repulsive term is wrong"),
    ("bnn_log_posterior", bnn_log_posterior_with(weight_normaliser=False), "log posterior is wrong"),
    ("bnn_log_posterior", bnn_log_posterior_with(jacobian=False), "log posterior is wrong"),
    ("bnn_log_posterior", bnn_log_posterior_with(half=1.0), "log posterior is wrong"),
    ("gamma_given_network", wrong_gamma_without_jacobian, "gamma is wrong"),
    ("gamma_given_network", wrong_gamma_full_sse, "gamma is wrong"),
    ("svgd_step", wrong_svgd_step_without_repulsion, "particles after the step is wrong"),
    ("svgd_step", wrong_svgd_step_downhill, "particles after the step is wrong"),
    ("particle_loop", wrong_loop_one_particle_at_a_time, "particles is wrong"),
    ("particle_loop", wrong_loop_stale_scores, "particles is wrong"),
    ("stage_kappa", wrong_stage_kappa_angular, "kappa is wrong"),
    ("stage_kappa", wrong_stage_kappa_per_unit_of_x, "kappa is wrong"),
    ("bump", wrong_bump_steepness_outside, "bump values is wrong"),
    ("coefficient_error", wrong_coefficient_error_magnitudes_only, "relative error is wrong"),
    ("neuron_chain_gradients", wrong_chain_no_factor_two, "dJ/dw1 is wrong"),
    ("neuron_chain_gradients", wrong_chain_missing_first_slope, "dJ/dw1 is wrong"),
    ("bump", wrong_bump_single_step, "bump values is wrong"),
    ("coefficient_error", wrong_coefficient_error_absolute, "relative error is wrong"),
    ("fourier_features", wrong_fourier_features_no_two_pi, "gamma"),
    ("fourier_features", wrong_fourier_features_cos_only, r"gamma\(v\) must have shape \(1, 2\)"),
    ("linear_gradient", wrong_linear_gradient_no_factor_two, "dJ/dw is wrong"),
    ("linear_gradient", wrong_linear_gradient_sign, "dJ/dw is wrong"),
    ("linear_gradient", lambda w, b, x, y: 0.0, "must return 2 values"),
    ("train_step", wrong_train_step_not_in_place, "W1 after the step is wrong"),
    ("train_step", wrong_train_step_uphill, "W1 after the step is wrong"),
    ("train_step", wrong_train_step_loss_after, "loss is wrong"),
    ("train_step", lambda net, x, y, lr: None, "must return the loss"),
    ("sum_of_bumps", wrong_sum_of_bumps_left_edge_heights, "network output is wrong"),
    ("sum_of_bumps", wrong_sum_of_bumps_one_cell_short, "network output is wrong"),
    ("sum_of_bumps", wrong_sum_of_bumps_fixed_steepness, "network output is wrong"),
    ("tower", wrong_tower_threshold_at_one, "tower values is wrong"),
    ("tower", wrong_tower_product_of_bumps, "tower values is wrong"),
    ("track_frequency_errors", tracking_with(zero_grad=False), "errors per record and frequency is wrong"),
    ("track_frequency_errors", tracking_with(final_record=False), "errors per record and frequency must have shape"),
    ("track_frequency_errors", tracking_with(optimiser=torch.optim.SGD), "errors per record and frequency is wrong"),
    ("gradient_norms", wrong_gradient_norms_of_the_modulus, "gradient norms is wrong"),
    ("gradient_norms", wrong_gradient_norms_unnormalised, "gradient norms is wrong"),
    ("sine_layer", wrong_sine_layer_kappa_on_the_bias, "sine features is wrong"),
    ("sine_layer", wrong_sine_layer_without_kappa, "sine features is wrong"),
    ("sine_layer", wrong_sine_layer_cosine, "sine features is wrong"),
    ("kernel_matrix", wrong_kernel_not_averaged, "kernel matrix is wrong"),
    ("kernel_matrix", wrong_kernel_cos_only, "kernel matrix is wrong"),
    ("stage_target", wrong_stage_target_std, "is wrong"),
    ("stage_target", wrong_stage_target_half_max, "is wrong"),
    ("stage_target", lambda y, p: (y - p, 1.0), "scaled residue is wrong"),
    ("stage_loop", stage_loop_with(add_eps=False), "prediction is wrong"),
    ("stage_loop", stage_loop_with(scale=lambda r: np.abs(r).max() / 2), "is wrong"),
    ("stage_loop", stage_loop_with(kappa_at_zero=True), "kappa is wrong"),
    ("descend", wrong_descend_uphill, "ws is wrong"),
    ("descend", wrong_descend_without_the_start, "ws must have shape"),
    ("descend", wrong_descend_updates_b_with_the_new_w, "bs is wrong"),
    ("logistic_gradient", wrong_logistic_gradient_sign, "dJ/dw is wrong"),
    ("logistic_gradient", wrong_logistic_gradient_sum, "dJ/dw is wrong"),
    ("logistic_gradient", wrong_logistic_gradient_no_sigmoid, "dJ/dw is wrong"),
    ("neuron_chain_gradients", wrong_chain_missing_w2, "dJ/dw1 is wrong"),
    ("layer_backward", wrong_layer_without_activation_slope, "is wrong"),
    ("layer_backward", wrong_layer_mean_bias, "dJ/db is wrong"),
    ("layer_backward", wrong_layer_bad_shape, "dJ/dW must have shape"),
])
@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_wrong_answers_fail(name, wrong, match):
    with pytest.raises(AssertionError, match=match):
        CHECKS[name](wrong)
