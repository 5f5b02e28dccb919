"""Discrete-latent VAEs against oracles: exhaustive enumeration of z (categorical),
quadrature over the smoothing noise (DVAE), and autograd identities (VQ-VAE)."""
import itertools
import math

import pytest
import torch
from torch.distributions import Distribution

from explorer.bounds import iwae, log_weights
from explorer.models import VQVAE, BernoulliDVAE, CategoricalVAE
from explorer.models import evaluation_terms, training_terms
from explorer.models import LatentVariableModel
from explorer.discrete.vq import ema_update

D = 6


def make(kind, **kw):
    torch.manual_seed(0)
    if kind == "categorical":
        m = CategoricalVAE(D, latent_dim=kw.get("n", 2), n_categories=kw.get("k", 3), hidden=(8,))
    elif kind == "dvae":
        m = BernoulliDVAE(D, latent_dim=kw.get("d", 1), hidden=(8,),
                          smoothing_beta=kw.get("beta", 4.0),
                          smoothing=kw.get("smoothing", "spike_exponential"))
    else:
        m = VQVAE(D, latent_dim=2, n_categories=5, code_dim=3, hidden=(8,))
    with torch.no_grad():  # spread the decoder so log p(x|z) differs clearly between codes
        for p in m.decoder.parameters():
            p.mul_(3.0)
    return m


def data(n=4):
    torch.manual_seed(1)
    return torch.rand(n, D)


@pytest.mark.parametrize("kind", ["categorical", "dvae", "vqvae"])
def test_models_follow_the_protocol(kind):
    m, x = make(kind), data()
    assert isinstance(m, LatentVariableModel)
    q, p = m.encode(x), m.prior()
    assert isinstance(q, Distribution) and isinstance(p, Distribution)
    assert q.event_shape == p.event_shape and q.batch_shape == (4,)
    z = q.sample((3,))
    assert z.shape == (3, 4, *q.event_shape)
    px = m.decode(z)
    assert px.batch_shape == (3, 4) and px.log_prob(x).shape == (3, 4)
    assert torch.isfinite(p.log_prob(z)).all() and torch.isfinite(q.log_prob(z)).all()


def categorical_codes(n, k):
    """All K^N one-hot codes, shape (K^N, N, K)."""
    idx = torch.tensor(list(itertools.product(range(k), repeat=n)))
    return torch.nn.functional.one_hot(idx, k).float()


def categorical_exact(m, x):
    """(log p(x), ELBO, E_q[log p(x|z)]) per point by enumerating every code."""
    z = categorical_codes(m.latent_dim, m.n_categories).unsqueeze(1)  # (C, 1, N, K)
    q = m.encode(x)
    log_px_z = m.decode(z).log_prob(x)  # (C, B)
    log_pz, log_qz = m.prior().log_prob(z), q.log_prob(z)
    qz = log_qz.exp()
    return (torch.logsumexp(log_px_z + log_pz, 0), (qz * (log_px_z + log_pz - log_qz)).sum(0),
            (qz * log_px_z).sum(0))


def test_categorical_kl_and_elbo_match_enumeration():
    m, x = make("categorical"), data()
    with torch.no_grad():
        log_px, elbo_exact, recon_exact = categorical_exact(m, x)
        probs = m.encode(x).base_dist.probs
        kl_formula = (probs * torch.log(probs * m.n_categories)).sum((-1, -2))
        torch.manual_seed(2)
        s = 20000
        t = evaluation_terms(m, x, n_samples=s)
        # SE of the Monte Carlo reconstruction term from the per-sample spread.
        z = m.encode(x).sample((s,))
        se = m.decode(z).log_prob(x).std(0) / math.sqrt(s)
    assert torch.allclose(t.kl, kl_formula, atol=1e-5)
    assert (elbo_exact <= log_px + 1e-5).all()
    assert ((t.reconstruction - recon_exact).abs() < 4 * se).all()
    assert ((t.elbo - elbo_exact).abs() < 4 * se).all()


def test_categorical_iwae_converges_to_enumerated_log_px():
    """L_k with discrete z (q.sample, no rsample) is within its own standard error of the
    enumerated log p(x) at k = 5000, and far above the ELBO."""
    m, x = make("categorical"), data()
    torch.manual_seed(3)
    k = 5000
    with torch.no_grad():
        log_px, elbo_exact, _ = categorical_exact(m, x)
        lw = log_weights(m, x, k)
        w = (lw - lw.max(0).values).exp()
        rel_se = w.std(0) / w.mean(0) / math.sqrt(k)  # delta method: SE of log mean w
        torch.manual_seed(3)
        lk = iwae(m, x, k)  # the same draws: one chunk holds all k samples here
    assert torch.allclose(lk, torch.logsumexp(lw, 0) - math.log(k), atol=1e-5)
    assert ((lk - log_px).abs() < 4 * rel_se + 1e-4).all()
    assert ((log_px - elbo_exact) > 20 * rel_se).all()


def encoder_bias_grad(m, loss):
    return torch.autograd.grad(loss, m.encoder[-1].bias)[0]


@pytest.mark.parametrize("estimator", ["reinforce", "reinforce_loo"])
def test_categorical_reinforce_gradient_is_unbiased(estimator):
    m, x = make("categorical"), data(2)
    exact = encoder_bias_grad(m, -categorical_exact(m, x)[2].mean())
    torch.manual_seed(4)
    grads = torch.stack([encoder_bias_grad(m, training_terms(m, x, n_samples=500, beta=0.0,
                                                             estimator=estimator).loss)
                         for _ in range(40)])
    se = grads.std(0) / math.sqrt(len(grads))
    assert ((grads.mean(0) - exact).abs() < 4 * se + 1e-6).all()


def test_straight_through_forward_is_a_hard_sample():
    """ST-Gumbel feeds one-hot codes, so its reconstruction term is E_q[log p(x|z)]."""
    m, x = make("categorical"), data()
    with torch.no_grad():
        recon_exact = categorical_exact(m, x)[2]
        torch.manual_seed(5)
        s = 20000
        t = training_terms(m, x, n_samples=s, estimator="st_gumbel_softmax", tau=0.7)
        se = m.decode(m.encode(x).sample((s,))).log_prob(x).std(0) / math.sqrt(s)
    assert ((t.reconstruction - recon_exact).abs() < 4 * se).all()


@pytest.mark.parametrize("kind, settings", [("categorical", dict(tau=0.01)),
                                            ("categorical", dict(tau=0.01, estimator="st_gumbel_softmax")),
                                            ("dvae", dict()), ("dvae-overlap", dict())])
def test_extreme_temperatures_and_sharpness_stay_finite(kind, settings):
    if kind.startswith("dvae"):
        smoothing = "overlapping_exponential" if kind == "dvae-overlap" else "spike_exponential"
        m = make("dvae", beta=100.0, smoothing=smoothing)
    else:
        m = make(kind)
    with torch.no_grad():  # saturated encoders: q at 0/1 and logits of ±50
        m.encoder[-1].bias.mul_(0).add_(torch.linspace(-50, 50, m.encoder[-1].bias.numel()))
    loss = training_terms(m, data(), n_samples=8, **settings).loss
    grads = torch.autograd.grad(loss, list(m.parameters()), allow_unused=True)
    assert torch.isfinite(loss)
    assert all(torch.isfinite(g).all() for g in grads if g is not None)


def smoothed_bits(m, u):
    """ζ for z = 0 and z = 1 at quantiles u: the inverse CDFs of r(ζ|z), written separately
    from the mixture's quadratic (Rolfe 2016, eq. 5; Vahdat et al. 2018, §3.2)."""
    beta = m.smoothing_beta
    one = torch.log1p(u * math.expm1(beta)) / beta  # r(ζ|1) ∝ e^{βζ} on [0, 1]
    if m.smoothing == "spike_exponential":
        return torch.zeros_like(u), one
    return -torch.log1p(-u * -math.expm1(-beta)) / beta, one  # r(ζ|0) ∝ e^{−βζ}


def dvae_exact(m, x, n=4000):
    """(log p(x), ELBO, E_q[log p(x|ζ)]) for one latent bit by midpoint quadrature in u."""
    u = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    zeta0, zeta1 = (z.float().view(n, 1, 1) for z in smoothed_bits(m, u))
    log_px_0 = m.decode(zeta0).log_prob(x)  # (n, B)
    log_px_1 = m.decode(zeta1).log_prob(x)
    p1 = torch.sigmoid(m.prior_logits)
    q1 = m.encode(x).base_dist.probs[:, 0]

    def log_mean(v):
        return torch.logsumexp(v, 0) - math.log(n)

    log_px = torch.logaddexp(torch.log1p(-p1) + log_mean(log_px_0), torch.log(p1) + log_mean(log_px_1))
    recon = (1 - q1) * log_px_0.mean(0) + q1 * log_px_1.mean(0)
    kl = q1 * torch.log(q1 / p1) + (1 - q1) * torch.log((1 - q1) / (1 - p1))
    return log_px, recon - kl, recon


SMOOTHINGS = ["spike_exponential", "overlapping_exponential"]


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_dvae_elbo_matches_quadrature_and_bounds_log_px(smoothing):
    m, x = make("dvae", smoothing=smoothing), data()
    with torch.no_grad():
        log_px, elbo_exact, _ = dvae_exact(m, x)
        torch.manual_seed(6)
        reps = torch.stack([evaluation_terms(m, x, n_samples=2000).elbo for _ in range(20)])
    se = reps.std(0) / math.sqrt(len(reps))
    assert (elbo_exact < log_px).all()
    assert ((reps.mean(0) - elbo_exact).abs() < 4 * se + 1e-5).all()


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_dvae_smoothing_gradient_is_unbiased(smoothing):
    """The reparameterised ζ(q, ε) gives the gradient of the quadrature value."""
    m, x = make("dvae", smoothing=smoothing), data(2)
    exact = encoder_bias_grad(m, -dvae_exact(m, x)[2].mean())
    torch.manual_seed(7)
    grads = torch.stack([encoder_bias_grad(m, training_terms(m, x, n_samples=500, beta=0.0).loss)
                         for _ in range(40)])
    se = grads.std(0) / math.sqrt(len(grads))
    assert exact.abs().max() > 1e-3  # the check below has something to find
    assert ((grads.mean(0) - exact).abs() < 4 * se + 1e-6).all()


def test_vq_codes_kl_and_decode_agree():
    m, x = make("vqvae"), data()
    with torch.no_grad():
        z_e = m.encode_vectors(x)
        dist = ((z_e.unsqueeze(-2) - m.codebook) ** 2).sum(-1)  # (B, N, K) brute force
        idx = m.codes(x)
        assert torch.equal(idx, dist.argmin(-1))
        q = m.encode(x)
        assert torch.allclose(torch.distributions.kl_divergence(q, m.prior()),
                              torch.full((4,), m.kl_constant()), atol=1e-5)
        onehot = q.sample()
        assert torch.allclose(m.decode(onehot).log_prob(x),
                              m.decode_vectors(m.codebook[idx]).log_prob(x), atol=1e-5)
        t = evaluation_terms(m, x)
        assert torch.allclose(t.elbo, t.reconstruction - m.kl_constant(), atol=1e-5)


def test_vq_straight_through_and_stop_gradients():
    """∂loss/∂z_e is the decoder's gradient at z_q plus β_c·2(z_e − e) (commitment); the
    codebook gets only 2(e − z_e) from its own term (text §2.4, loss (∗∗))."""
    m, x = make("vqvae"), data(1)
    beta_c = 0.3
    z_e = m.encode_vectors(x)
    z_e.retain_grad()
    m.encode_vectors = lambda _x: z_e  # the same tensor, so its .grad is observable
    training_terms(m, x, commitment=beta_c).loss.backward()
    e = m.codebook.detach()[((z_e.detach().unsqueeze(-2) - m.codebook.detach()) ** 2).sum(-1).argmin(-1)]
    z_q = e.clone().requires_grad_(True)
    (-m.decode_vectors(z_q).log_prob(x).sum()).backward()
    expected = z_q.grad + beta_c * 2 * (z_e.detach() - e)
    assert torch.allclose(z_e.grad, expected, atol=1e-5)
    book = torch.zeros_like(m.codebook)
    flat_idx = ((z_e.detach().unsqueeze(-2) - m.codebook.detach()) ** 2).sum(-1).argmin(-1).reshape(-1)
    book.index_add_(0, flat_idx, 2 * (e - z_e.detach()).reshape(-1, m.code_dim))
    assert torch.allclose(m.codebook.grad, book, atol=1e-5)


def test_vq_ema_step_is_the_ema_formula():
    m, x = make("vqvae"), data(8)
    with torch.no_grad():
        z_e, idx = m.encode_vectors(x), m.codes(x)
        want = ema_update(m.codebook, m.ema_size, m.ema_sum, z_e.reshape(-1, 3), idx.reshape(-1), 0.9)
        m.ema_step(z_e, idx, 0.9)
    for got, exp in zip((m.codebook, m.ema_size, m.ema_sum), want):
        assert torch.allclose(got, exp)
    # With no loss on the codebook it receives no gradient: EMA is its only update.
    m.zero_grad()
    training_terms(m, x, codebook_loss=False).loss.backward()
    assert m.codebook.grad is None or torch.count_nonzero(m.codebook.grad) == 0


def test_enumerated_log_marginal_matches_the_itertools_oracle_and_refuses_big_models():
    from explorer.bounds.enumeration import exact_log_marginal_categorical

    m, x = make("categorical", n=3, k=4), data(5)
    with torch.no_grad():
        want = categorical_exact(m, x)[0]
    got = exact_log_marginal_categorical(m, x, chunk=7)  # chunks that do not divide 64
    assert torch.allclose(got, want, atol=1e-5)
    with pytest.raises(ValueError, match="at most"):
        exact_log_marginal_categorical(make("categorical", n=5, k=10), x)
    with pytest.raises(ValueError, match="categorical"):
        exact_log_marginal_categorical(make("dvae"), x)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_dvae_importance_weights_give_the_quadrature_elbo_and_log_px(smoothing):
    """Weights over the joint (z, ζ): their mean is the ELBO and L_k → log p(x) (both from
    the quadrature oracle), within the standard errors of the weights."""
    from explorer.models import dvae_iwae, dvae_log_weights

    m, x = make("dvae", smoothing=smoothing), data()
    torch.manual_seed(8)
    k = 20_000
    with torch.no_grad():
        log_px, elbo_exact, _ = dvae_exact(m, x)
        lw = dvae_log_weights(m, x, k)
        se_elbo = lw.std(0) / math.sqrt(k)
        w = (lw - lw.max(0).values).exp()
        rel_se = w.std(0) / w.mean(0) / math.sqrt(k)
        torch.manual_seed(9)
        lk = dvae_iwae(m, x, k)
    assert ((lw.mean(0) - elbo_exact).abs() < Z_DVAE * se_elbo).all()
    assert ((lk - log_px).abs() < Z_DVAE * rel_se + 1e-3).all()
    assert (log_px - elbo_exact > 10 * rel_se).all()  # L_k really closes a gap


Z_DVAE = 4.5
