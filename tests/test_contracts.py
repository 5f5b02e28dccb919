"""Import paths and signatures that scripts and notebooks outside this repository use
(issue 9): each one is imported exactly as written there and called once."""
import inspect
import math

import torch


def test_bounds_contract_orders_elbo_iwae_and_exact_on_ppca():
    from explorer.bounds import elbo, exact_log_marginal, iwae, renyi_bound
    from explorer.models import LinearGaussianModel

    torch.manual_seed(0)
    model = LinearGaussianModel(torch.tensor([[1.5], [-0.5], [0.8]]), torch.zeros(3), 0.7)
    x = torch.tensor([[1.0, 0.2, -0.3], [-2.0, 0.5, 1.0]])
    exact = model.log_marginal(x)
    assert torch.allclose(exact_log_marginal(model, x), exact, atol=1e-3)
    with torch.no_grad():
        lower = elbo(model, x, k=2000).mean()
        tighter = iwae(model, x, k=2000).mean()
        renyi0 = renyi_bound(model, x, alpha=0.0, k=2000).mean()
    assert lower <= tighter <= exact.mean() + 1e-3
    assert renyi0 <= exact.mean() + 1e-3


def test_estimators_contract_reinforce_mean_matches_exact_gradient():
    from explorer.estimators import exact_gradient, sample_gradients

    params = {"loc": torch.tensor([0.5]), "scale": torch.tensor([1.5])}
    f = lambda z: (z ** 2).sum(-1)  # noqa: E731  E[z²] = μ² + σ²: ∂/∂μ = 2μ, ∂/∂σ = 2σ
    exact = exact_gradient(f, "normal", params)
    assert torch.allclose(exact["loc"], torch.tensor([1.0]), atol=1e-4)
    samples = sample_gradients("reparam", f, "normal", params, 4000, seed=0)
    se = samples["loc"].std(0) / math.sqrt(4000)
    assert (samples["loc"].mean(0) - exact["loc"]).abs() < 4 * se


def test_discrete_contract_names_the_three_functions():
    from explorer.discrete import gumbel_max, gumbel_softmax, smoothing

    logits = torch.tensor([[0.0, 1.0, -1.0]])
    assert gumbel_max(logits).shape == (1,) and 0 <= int(gumbel_max(logits)) < 3  # an index
    y = gumbel_softmax(logits, 0.5)
    assert torch.allclose(y.sum(-1), torch.ones(1))
    assert list(inspect.signature(smoothing).parameters)[:4] == ["name", "beta", "p", "eps"]
    zeta = smoothing("spike_exponential", 5.0, torch.tensor(0.3), torch.tensor([0.1, 0.9]))
    assert zeta[0] == 0 and 0 < zeta[1] <= 1  # ε below 1 − p is the spike at 0


def test_data_contract_load_returns_tensors():
    from explorer.data import load

    x, y = load("digits", "test")
    assert x.ndim == 2 and x.shape[1] == 64 and len(y) == len(x)


def test_trainer_load_model_takes_a_store_keyword(tmp_path):
    import trainer
    from trainer.loop import train_run

    store = trainer.RunStore(tmp_path / "store")
    spec = trainer.RunSpec(dataset="digits", latent_dim=2, hidden=(16,), epochs=1,
                           bounds_every=0)
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    model = trainer.load_model(rec.run_id, store=store)
    same = trainer.load_model(rec.run_id, store=str(store.root))
    assert model.checkpoint_epoch == same.checkpoint_epoch == 1
    x = torch.zeros(2, 64)
    assert model.encode(x).mean.shape == (2, 2)
