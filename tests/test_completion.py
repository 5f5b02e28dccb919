"""The completion ELBO of a mean-field Bernoulli q over hidden pixels (first lecture, the
digit-9 example) against exact enumeration over all 2^n hidden codes, on a 4×4 fully
visible Boltzmann machine whose log p(image) is exact (log Z by summing 2^16 states)."""
import math

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, Independent

from explorer.bounds import exact_log_marginal as quadrature_log_marginal
from explorer.models import GaussianVAE
from explorer.plots.completion import elbo_trace, fill_hidden, phi_images, sample_grid, svi_animation
from explorer.toys import completion as c

SHAPE = (4, 4)
MASK = c.top_half_mask(SHAPE)  # 8 hidden pixels: 256 codes
N = int(MASK.sum())


def boltzmann(seed: int = 0, scale: float = 0.6):
    """log p(v) = ½ vᵀWv + bᵀv − log Z over v ∈ {0, 1}^16, exactly normalised; W, b."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(16, 16, generator=g, dtype=torch.float64) * scale
    w = (w + w.T) / 2
    w.fill_diagonal_(0)
    b = torch.randn(16, generator=g, dtype=torch.float64)

    def energy(v):
        return 0.5 * ((v @ w) * v).sum(-1) + v @ b

    log_z = torch.logsumexp(energy(c.all_codes(16)), 0)
    return (lambda v: energy(v) - log_z), w, b


IMAGE = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0], dtype=torch.float64)


def joint_of(log_p):
    return lambda z: log_p(c.compose(IMAGE, MASK, z.double()))


LOG_P, W, B = boltzmann()
LOG_JOINT = joint_of(LOG_P)


def test_the_boltzmann_oracle_is_normalised():
    assert float(torch.logsumexp(LOG_P(c.all_codes(16)), 0)) == pytest.approx(0.0, abs=1e-10)


def test_exact_elbo_is_the_sum_over_codes_with_torch_distributions_q():
    phi = torch.rand(N, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    q = Independent(Bernoulli(probs=phi), 1)
    z = c.all_codes(N)
    direct = (q.log_prob(z).exp() * (LOG_JOINT(z) - q.log_prob(z))).sum()
    assert float(c.exact_completion_elbo(LOG_JOINT, phi)) == pytest.approx(float(direct), abs=1e-9)
    assert float(c.bernoulli_entropy(c.clamped_logits(phi))) == pytest.approx(float(q.entropy()), abs=1e-12)
    assert float(c.exact_completion_elbo(LOG_JOINT, phi)) < c.exact_log_marginal(LOG_JOINT, N)


@pytest.mark.parametrize("which", ["random", "half", "near_point_mass"])
def test_monte_carlo_elbo_matches_enumeration_within_4_se(which):
    gen = torch.Generator().manual_seed(2)
    phi = {"random": torch.rand(N, generator=gen, dtype=torch.float64),
           "half": torch.full((N,), 0.5, dtype=torch.float64),
           "near_point_mass": torch.tensor([0.99, 0.01, 0.97, 0.5, 0.02, 0.995, 0.9, 0.05],
                                           dtype=torch.float64)}[which]
    mean, se = c.completion_elbo(LOG_JOINT, phi, n_samples=4000, seed=3)
    exact = float(c.exact_completion_elbo(LOG_JOINT, phi))
    assert se > 0 and abs(mean - exact) < 4 * se


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_a_point_mass_q_has_zero_entropy_and_elbo_log_joint(value):
    phi = np.full(N, value)
    z = torch.full((1, N), value, dtype=torch.float64)
    mean, se = c.completion_elbo(LOG_JOINT, phi, n_samples=64, seed=0)
    assert math.isfinite(mean) and se == 0.0
    assert mean == pytest.approx(float(LOG_JOINT(z)), abs=1e-8)
    assert float(c.exact_completion_elbo(LOG_JOINT, phi)) == pytest.approx(float(LOG_JOINT(z)), abs=1e-8)
    assert 0.0 <= float(c.bernoulli_entropy(c.clamped_logits(phi))) < 1e-9


def test_phi_half_has_entropy_n_log_2_and_a_finite_elbo():
    phi = np.full(N, 0.5)
    assert float(c.bernoulli_entropy(c.clamped_logits(phi))) == pytest.approx(N * math.log(2))
    assert math.isfinite(c.completion_elbo(LOG_JOINT, phi, 16, 0)[0])


def test_elbo_reaches_log_p_x_when_the_posterior_is_mean_field():
    """Independent pixels: p(z|x) = Π Bern(σ(l_i)), so q = p(z|x) makes ELBO = log p(x)."""
    logits = torch.randn(16, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    log_joint = joint_of(lambda v: (v * logits).sum(-1) - torch.nn.functional.softplus(logits).sum())
    posterior = torch.sigmoid(logits[MASK])
    exact_log_px = float((IMAGE[~MASK] * logits[~MASK]).sum()
                         - torch.nn.functional.softplus(logits[~MASK]).sum())
    assert c.exact_log_marginal(log_joint, N) == pytest.approx(exact_log_px, abs=1e-10)
    assert float(c.exact_completion_elbo(log_joint, posterior)) == pytest.approx(exact_log_px, abs=1e-10)
    assert float(c.exact_completion_elbo(log_joint, torch.full((N,), 0.5))) < exact_log_px - 0.1


def test_score_function_gradient_matches_autograd_through_enumeration():
    logits0 = torch.randn(N, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    leaf = logits0.clone().requires_grad_(True)
    c.exact_completion_elbo(LOG_JOINT, torch.sigmoid(leaf)).backward()
    exact = leaf.grad
    gen, grads = torch.Generator().manual_seed(6), []
    for r in range(600):
        leaf = logits0.clone().requires_grad_(True)
        surrogate, _ = c.elbo_surrogate(LOG_JOINT, leaf, 8, gen, r)
        grads.append(torch.autograd.grad(surrogate, leaf)[0])
    grads = torch.stack(grads)
    se = grads.std(0) / math.sqrt(len(grads))
    assert (exact.abs() > 2 * se).sum() >= 3  # the test has power: most coordinates are nonzero
    assert ((grads.mean(0) - exact).abs() < 4 * se).all(), (grads.mean(0), exact, se)


def cavi_optimum(log_joint, inits=8) -> float:
    """The best mean-field ELBO by coordinate ascent φ_i = σ(b_i + Σ_j W_ij m_j), m = (φ, x)."""
    best = -math.inf
    hidden = MASK.nonzero().squeeze(1)
    for s in range(inits):
        phi = torch.full((N,), 0.5, dtype=torch.float64) if s == 0 else \
            torch.rand(N, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
        for _ in range(200):
            for a, i in enumerate(hidden):
                m = IMAGE.clone()
                m[MASK] = phi
                phi[a] = torch.sigmoid(B[i] + W[i] @ m)  # W_ii = 0: m_i does not matter
        best = max(best, float(c.exact_completion_elbo(log_joint, phi)))
    return best


def test_svi_raises_the_elbo_to_the_mean_field_optimum():
    fit = c.fit_svi(LOG_JOINT, N, steps=400, lr=0.1, n_samples=16, seed=0)
    start = float(c.exact_completion_elbo(LOG_JOINT, np.full(N, 0.5)))
    end = float(c.exact_completion_elbo(LOG_JOINT, fit.phi))
    optimum = cavi_optimum(LOG_JOINT)
    assert end > start + 0.5
    assert end > optimum - 0.05 and end <= optimum + 1e-9
    assert fit.elbo[-50:].mean() > fit.elbo[:10].mean()
    assert fit.snapshots.shape == (len(fit.snapshot_steps), N) and fit.snapshot_steps[-1] == 400
    assert np.allclose(fit.snapshots[0], 0.5) and np.allclose(fit.snapshots[-1], fit.phi)


def test_svi_from_a_point_mass_stays_finite_and_bad_arguments_are_refused():
    fit = c.fit_svi(LOG_JOINT, N, steps=20, n_samples=4, init=1.0)
    assert np.isfinite(fit.elbo).all() and np.isfinite(fit.phi).all()
    with pytest.raises(ValueError, match="n_samples"):
        c.fit_svi(LOG_JOINT, N, steps=5, n_samples=1)
    with pytest.raises(ValueError, match="at most 12"):
        c.exact_log_marginal(LOG_JOINT, 13)


def tiny_vae(seed=0):
    torch.manual_seed(seed)
    return GaussianVAE(16, 1, hidden=(8,)).eval()


def test_vae_log_joint_is_the_iwae_estimate_of_the_quadrature_log_p():
    model, z = tiny_vae(), c.all_codes(N)[::37]
    exact = quadrature_log_marginal(model, c.compose(IMAGE.float(), MASK, z.float())).double()
    estimates = torch.stack([c.seeded_log_joint(c.vae_log_joint(model, IMAGE, MASK, k=500), z, s)
                             for s in range(6)])
    se = estimates.std(0) / math.sqrt(len(estimates))
    # L_K ≤ log p in expectation; its bias here is far below 0.02 nats
    assert (estimates.mean(0) < exact + 4 * se + 1e-4).all()
    assert (estimates.mean(0) > exact - 0.02).all()


def test_vae_log_marginal_sums_the_hidden_pixels_out():
    model = tiny_vae(1)
    exact = float(torch.logsumexp(quadrature_log_marginal(
        model, c.compose(IMAGE.float(), MASK, c.all_codes(N).float())).double(), 0))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        est = c.vae_log_marginal(model, IMAGE, MASK, IMAGE, k=4000)
    assert exact - 0.02 < est < exact + 0.005


def test_vae_log_marginal_is_seeded_and_leaves_the_global_rng_alone():
    """Same inputs, same number, whatever the global RNG held (it ran on a background thread)."""
    model = tiny_vae(1)
    torch.manual_seed(1)
    first = c.vae_log_marginal(model, IMAGE, MASK, IMAGE, k=200)
    after = torch.rand(1)
    torch.manual_seed(2)
    assert c.vae_log_marginal(model, IMAGE, MASK, IMAGE, k=200) == first
    assert c.vae_log_marginal(model, IMAGE, MASK, IMAGE, k=200, seed=5) != first
    torch.manual_seed(1)
    c.vae_log_marginal(model, IMAGE, MASK, IMAGE, k=200)
    assert torch.rand(1) == after  # the caller's stream is restored


def test_seeded_initial_model_is_the_runs_epoch_0_model(tmp_path):
    from explorer import data
    from trainer import RunSpec, RunStore
    from trainer.checkpoints import build_model
    from trainer.loop import resume

    store = RunStore(tmp_path / "store")
    spec = RunSpec(dataset="digits", latent_dim=2, hidden=(16,), epochs=1, seed=7, bounds_every=0)
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    x_train = data.load("digits", "train")[0]
    trained_start = resume(store, rec.run_id, x_train).model.state_dict()
    rebuilt = c.seeded_initial_model(lambda: build_model(spec), x_train, spec.seed).state_dict()
    assert all(torch.equal(trained_start[k], rebuilt[k]) for k in trained_start)


def test_three_questions_on_a_tiny_vae():
    res = c.three_questions(tiny_vae(), IMAGE.float(), MASK, k=4, steps=30, n_samples=8,
                            eval_samples=64, marginal_k=200, n_drawn=3)
    rows = {r["q"]: r for r in res["rows"]}
    assert list(rows) == ["φ = ½", "φ = 1", "φ fitted by SVI", "true top half (point mass)"]
    assert all(math.isfinite(r["elbo"]) for r in rows.values())
    assert rows["φ = ½"]["entropy"] == pytest.approx(N * math.log(2))
    assert rows["φ = 1"]["entropy"] < 1e-9 and (res["drawn"]["φ = 1"] == 1).all()
    assert res["drawn"]["φ = ½"].shape == (3, N) and len(res["trace"]) == 30
    assert res["log_px"] > max(r["elbo"] - 4 * r["se"] for r in rows.values())


def test_figures_draw_phi_in_the_hidden_pixels_and_animate_the_snapshots():
    image = IMAGE.numpy()
    tiles = fill_hidden(image, MASK.numpy(), np.array([[0.25] * N, [1.0] * N]))
    assert tiles.shape == (2, 16) and (tiles[:, ~MASK.numpy()] == image[~MASK.numpy()]).all()
    assert (tiles[0, MASK.numpy()] == 0.25).all()
    fig = phi_images(image, MASK.numpy(), [np.full(N, 0.5), np.ones(N)], SHAPE, ["½", "1"])
    lines = [sh for sh in fig.layout.shapes if sh.type == "line"]
    assert len(lines) == 2 and lines[0].y0 == 1.5  # under the 2 hidden rows of each tile
    snaps = np.linspace(0.5, 0.9, 5)[:, None].repeat(N, 1)
    anim = svi_animation(image, MASK.numpy(), [0, 1, 2, 3, 4], snaps, SHAPE, [1, 2, 3, 4, 5])
    assert len(anim.frames) == 5 and len(anim.layout.sliders[0].steps) == 5
    assert anim.frames[0].data[0].source != anim.frames[-1].data[0].source
    grid = sample_grid(image, MASK.numpy(), {"a": np.zeros((3, N)), "b": np.ones((2, N))}, SHAPE)
    assert len([sh for sh in grid.layout.shapes if sh.type == "rect"]) == 5  # no empty tiles
    trace = elbo_trace(np.arange(40), np.linspace(-50, -10, 40), {"log p(x)": -5.0})
    assert len(trace.data) == 2 and "log p(x)" in trace.layout.annotations[0].text
