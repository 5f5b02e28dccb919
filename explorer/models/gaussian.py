"""Gaussian latent z ∈ R^d with prior N(0, I) (Kingma & Welling 2013), and q(z|x) from one of
the families of explorer.models.posteriors: diagonal (the default), full covariance, a flow,
Laplace or Student-t (issue 10 §2)."""
from __future__ import annotations

from typing import Literal, Sequence

import torch
from pydantic import BaseModel, ConfigDict, field_validator
from torch import nn
from torch.distributions import Distribution, Independent, Normal

from explorer.models.protocol import (LOGVAR_MAX, LOGVAR_MIN, check_likelihood, mlp,
                                      observation_model, output_size, set_output_bias)
from explorer.bounds.log_weights import chunked_log_weights
from explorer.bounds.quadrature import exact_log_marginal
from explorer.models.autoregressive import MADE, AutoregressiveBernoulli
from explorer.models.flows import ConditionalFlow
from explorer.models.posteriors import (LABELS, POSTERIORS, check_posterior, encoder_outputs,
                                        posterior_from)
from explorer.models.registry import LatentFamily, LatentSize, option, register
from explorer.objectives import (BOUND_ESTIMATORS, OBJECTIVES, REGULARIZERS, elbo_terms,
                                 objective_terms)


class GaussianVAE(nn.Module):
    """VAE with p(z) = N(0, I) and q(z|x) = N(μ(x), diag σ²(x)) (Kingma & Welling 2013) or
    another `posterior` family (explorer.models.posteriors; flow_layers couplings for "flow").

    likelihood:
      "bernoulli"        p(x|z) = Π Bernoulli(x_i; sigmoid(f(z))_i); grey-level targets are
                         scored with the same formula (the "continuous BCE" convention).
      "gaussian_fixed"   p(x|z) = N(x; f(z), s² I) with fixed s = obs_std; −log p is the
                         squared error / 2s², so s² plays the role of β (second lecture).
      "gaussian_learned" p(x|z) = N(x; f(z), diag σ²(z)), σ(z) ≥ min_std so the density
                         cannot collapse onto pixels that are exactly constant.
    decoder "made": p(x|z) = Π Bernoulli(x_i; σ(f_i(x_<i, z))), an autoregressive MADE
      (explorer.models.autoregressive; Bernoulli only) with decoder_hidden as its layers.
    """

    kind = "gaussian"

    def __init__(
        self,
        data_dim: int,
        latent_dim: int,
        hidden: Sequence[int] = (400, 400),
        likelihood: str = "bernoulli",
        obs_std: float = 1.0,
        min_std: float = 0.01,
        posterior: str = "diagonal",
        flow_layers: int = 4,
        decoder_hidden: Sequence[int] = (),
        decoder: str = "mlp",
    ):
        super().__init__()
        check_likelihood(likelihood)
        self.data_dim, self.latent_dim = int(data_dim), int(latent_dim)
        self.likelihood, self.obs_std, self.min_std = likelihood, float(obs_std), float(min_std)
        self.posterior, self.flow_layers = check_posterior(posterior), int(flow_layers)
        hidden = tuple(int(h) for h in hidden)
        # The decoder mirrors the encoder unless decoder_hidden (listed from z to x) is given.
        self.decoder_hidden = tuple(int(h) for h in decoder_hidden) or hidden[::-1]
        self.encoder = mlp((data_dim, *hidden, encoder_outputs(posterior, latent_dim)))
        self.decoder_kind = check_decoder(decoder, likelihood)
        if decoder == "made":
            self.decoder = MADE(data_dim, latent_dim, self.decoder_hidden)
        else:
            self.decoder = mlp((latent_dim, *self.decoder_hidden,
                                output_size(data_dim, likelihood)))
        if posterior == "flow":
            self.flow = ConditionalFlow(latent_dim, self.flow_layers)
        self.register_buffer("_zero", torch.zeros(latent_dim), persistent=False)

    def prior(self) -> Distribution:
        """p(z) = N(0, I)."""
        return Independent(Normal(self._zero, torch.ones_like(self._zero)), 1)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x); the network outputs μ and log σ² (and L's lower entries, or the flow's
        context), see explorer.models.posteriors."""
        if self.posterior != "diagonal":
            return posterior_from(self.posterior, self.encoder(x), self.latent_dim,
                                  getattr(self, "flow", None))
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        std = torch.exp(0.5 * logvar.clamp(LOGVAR_MIN, LOGVAR_MAX))
        return Independent(Normal(mu, std), 1)

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|z) for the configured likelihood (autoregressive for the MADE decoder)."""
        if self.decoder_kind == "made":
            return AutoregressiveBernoulli(self.decoder, z)
        return observation_model(self.decoder(z), self.likelihood, self.obs_std, self.min_std)

    def init_output_bias(self, data_mean: torch.Tensor):
        """Start the decoder at the data mean (see `set_output_bias`)."""
        last = self.decoder.output if self.decoder_kind == "made" else self.decoder[-1]
        set_output_bias(last, self.likelihood, data_mean)

    def config(self) -> dict:
        """Constructor arguments, enough to rebuild the model from a checkpoint."""
        return dict(
            data_dim=self.data_dim,
            latent_dim=self.latent_dim,
            hidden=[m.out_features for m in self.encoder if isinstance(m, nn.Linear)][:-1],
            likelihood=self.likelihood,
            obs_std=self.obs_std,
            min_std=self.min_std,
            posterior=self.posterior,
            flow_layers=self.flow_layers,
            decoder_hidden=list(self.decoder_hidden),
            decoder=self.decoder_kind,
        )


DECODERS = ("mlp", "made")


def check_decoder(decoder: str, likelihood: str) -> str:
    """The decoder kind, or a ValueError: the MADE decoder models binary pixels only."""
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
    if decoder == "made" and likelihood != "bernoulli":
        raise ValueError("the autoregressive (MADE) decoder is a product of Bernoullis: use "
                         f"likelihood bernoulli, not {likelihood}")
    return decoder


class GaussianOptions(BaseModel):
    """Spec fields of a Gaussian-prior latent: the family of q(z|x) and the decoder's size."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    posterior: Literal[POSTERIORS] = option(
        "diagonal", "family of q(z|x): diagonal, full_cov (z = μ + Lε), flow (RealNVP "
        "couplings on a diagonal Gaussian), laplace or student_t (ν = 5)",
        label="Posterior q(z|x)", choices=POSTERIORS, url=True,
        help="diagonal: N(μ, diag σ²). full_cov: N(μ, LLᵀ), L lower triangular. flow: K affine "
             "couplings (Dinh et al. 2017) on the diagonal Gaussian, conditioned on x. laplace / "
             "student_t: heavier-tailed location-scale families with the same mean and variance. "
             "The KL is analytic except for the flow (Monte Carlo, the same z as the "
             "reconstruction).")
    flow_layers: int = option(4, "K, coupling layers of the flow posterior", label="Flow layers K",
                              choices=(1, 2, 4, 6, 8), enabled_if=("posterior", "flow"),
                              ge=1, le=16)
    decoder_hidden: tuple[int, ...] = option(
        (), "decoder MLP hidden sizes from z to x, comma-separated (empty: mirror hidden)",
        label="Decoder hidden sizes", choices=("mirror", "16", "64", "256", "400", "400,400"),
        ui_default="mirror",
        help="A weaker or stronger decoder than the encoder (posterior collapse grows with "
             "decoder power). \"mirror\" reverses the encoder's hidden sizes.")

    decoder: Literal[DECODERS] = option(
        "mlp", "p(x|z): mlp (factorised, each pixel from z alone) or made (autoregressive, "
        "pixel i from z and x_<i; Germain et al. 2015); made needs likelihood bernoulli",
        label="Decoder p(x|z)", choices=DECODERS,
        help="mlp: p(x|z) = Π Bern(x_i; σ(f_i(z))), so everything the pixels share must pass "
             "through z. made: p(x|z) = Π Bern(x_i; σ(f_i(x_<i, z))), strong enough to model "
             "x without z, so z tends to go unused (Bowman et al. 2016; Chen et al. 2017).")

    @field_validator("decoder_hidden", mode="before")
    @classmethod
    def _parse_decoder_hidden(cls, value):
        if isinstance(value, str):  # "400,400" from a CLI flag or the form; "mirror" = ()
            text = value.replace(" ", "")
            try:
                value = () if text in ("", "mirror") else tuple(int(v) for v in text.split(","))
            except ValueError:
                raise ValueError("decoder hidden sizes must be comma-separated integers, "
                                 f"got {value!r}") from None
        return value

    @field_validator("decoder_hidden")
    @classmethod
    def _check_decoder_hidden(cls, value):
        if len(value) > 4 or any(not 1 <= h <= 2048 for h in value):
            raise ValueError("give at most 4 decoder hidden layers of 1 to 2048 units each")
        return value


def _normalize(d: dict) -> dict:
    """Defaults leave the canonical spec, so run ids from before these options stay valid; the
    flow's K only matters for a flow, an explicit mirror of `hidden` is the default decoder."""
    if d.get("posterior", "diagonal") != "flow":
        d.pop("flow_layers", None)
    if d.get("posterior") == "diagonal":
        del d["posterior"]
    if tuple(d.get("decoder_hidden", ())) in ((), tuple(d["hidden"])[::-1]):
        d.pop("decoder_hidden", None)
    if d.get("decoder") == "mlp":
        del d["decoder"]
    return d


def _describe(spec) -> str:
    posterior = getattr(spec, "posterior", "diagonal")
    if posterior == "diagonal":
        return f"R^{spec.latent_dim}"
    layers = f", K = {spec.flow_layers}" if posterior == "flow" else ""
    return f"R^{spec.latent_dim}, {LABELS[posterior]} q{layers}"


def _exact(model, x: torch.Tensor) -> torch.Tensor | None:
    """Quadrature reaches log p(x) for d ≤ 2 (explorer.bounds.quadrature)."""
    return exact_log_marginal(model, x) if model.latent_dim <= 2 else None


def has_mean_decoder(spec) -> bool:
    """Does the run's p(x|z) have a mean image one pass computes (not the MADE decoder)?"""
    return getattr(spec, "decoder", "mlp") != "made"


def has_diagonal_encoder(spec) -> bool:
    """Is the run's q(z|x) the diagonal Gaussian (what encoder-gradient statistics read)?"""
    return getattr(spec, "posterior", "diagonal") == "diagonal" and has_mean_decoder(spec)


def _check_spec(spec) -> None:
    """Combinations the spec's fields cannot check one by one."""
    check_decoder(spec.decoder, spec.likelihood)
    if spec.estimator == "dreg" and spec.objective == "elbo":
        raise ValueError("the doubly reparameterised gradient (dreg) is a gradient of the "
                         "sampled bounds: use objective iwae or renyi (the elbo objective's KL "
                         "is analytic, so it has no score term to remove)")
    if spec.regularizer == "l2" and spec.posterior != "diagonal":
        raise ValueError("the L2 regularizer Σ μ² + (σ − 1)² is defined for a diagonal "
                         "Gaussian q(z|x): use posterior diagonal, or regularizer kl or mmd")


FAMILY = register(LatentFamily(
    name="gaussian",
    label="Gaussian",
    description="Gaussian z ~ N(μ, σ²) — the reparameterisation trick",
    model_class=GaussianVAE,
    options=GaussianOptions,
    estimators=BOUND_ESTIMATORS,
    estimator_help="How ∇_φ E_q[log p(x|z)] is estimated: the reparameterisation trick, the "
                   "score function (REINFORCE), REINFORCE with a leave-one-out baseline "
                   "(≥ 2 samples), or — for the IWAE and Rényi objectives — the doubly "
                   "reparameterised gradient (dreg, Tucker et al. 2018), which drops the "
                   "noisy score term of log q and keeps k = 1 from collapsing at d = 50.",
    size=LatentSize("latent_dim", "Latent dimension d", 2),
    build=lambda spec, data_dim: GaussianVAE(data_dim, spec.latent_dim, spec.hidden,
                                             spec.likelihood, spec.obs_std,
                                             posterior=spec.posterior,
                                             flow_layers=spec.flow_layers,
                                             decoder_hidden=spec.decoder_hidden,
                                             decoder=spec.decoder),
    training_terms=objective_terms,
    # The run's objective (ELBO, IWAE L_K, Rényi L_α) and regulariser (KL, L2, MMD).
    step_options=lambda spec, step: {"objective": spec.objective, "k": spec.k,
                                     "alpha": spec.alpha, "regularizer": spec.regularizer},
    objectives=OBJECTIVES,
    regularizers=REGULARIZERS,
    check=_check_spec,
    evaluation_terms=lambda model, x, n_samples=1: elbo_terms(model, x, n_samples=n_samples),
    log_weights=chunked_log_weights,
    exact_log_marginal=_exact,
    normalize=_normalize,
    describe=_describe,
    views=frozenset({"latent_space", "bound_ladder", "encoder_gradients", "rate_distortion"}),
    lineup=(dict(latent_dim=20),),
))
