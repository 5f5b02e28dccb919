"""AppTest of the estimators-on-a-real-VAE page."""
from trainer import RunStore, default_store_dir

from .apptest_helpers import app, titles, trained_run


def test_encoder_gradient_noise_table_and_variants():
    run_id = trained_run(latent_dim=2, epochs=1, bounds_every=0)
    at = app("app_pages/estimators_vae.py", run=run_id)
    frame = at.dataframe[0].value
    assert list(frame["estimator"]) == ["reparam", "reinforce", "reparam (S=2)",
                                        "reinforce + loo baseline (S=2)"]
    assert (frame["median SNR"] > 0).all()  # dead (always-zero) coordinates are not counted
    variance = dict(zip(frame["estimator"], frame["mean variance"]))
    # The lecture's claim, on a real encoder: the plain score function is noisier, and a
    # baseline removes most of its noise (|log p(x|z)| is tens of nats, its spread is not).
    assert variance["reinforce"] > variance["reparam"]
    assert variance["reinforce + loo baseline (S=2)"] < variance["reinforce"] / 2
    assert any("Signal-to-noise" in t for t in titles(at))
    at.button(key="train_variants").click().run()
    assert not at.exception
    specs = [r.spec for r in RunStore(default_store_dir()).list()]
    assert {s.estimator for s in specs} >= {"reparam", "reinforce", "reinforce_loo"}
    assert all(s.n_samples >= 2 for s in specs if s.estimator == "reinforce_loo")
    from trainer import LocalExecutor

    LocalExecutor(RunStore(default_store_dir())).shutdown()
