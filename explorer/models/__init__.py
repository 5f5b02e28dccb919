"""Latent variable models on one protocol: prior(), encode(x) → q(z|x), decode(z) → p(x|z),
each a `torch.distributions.Distribution`. One module per latent family (gaussian,
categorical, dvae, vqvae), plus probabilistic PCA, the model with everything exact.
"""
from explorer.models.categorical import CategoricalVAE, categorical_terms
from explorer.models.dvae import BernoulliDVAE, dvae_iwae, dvae_log_weights, dvae_terms
from explorer.models.gaussian import GaussianVAE
from explorer.models.linear_gaussian import LinearGaussianModel
from explorer.models.protocol import (LIKELIHOODS, LOGVAR_MAX, LOGVAR_MIN, LatentVariableModel,
                                      ObservedDecoder, check_likelihood, mlp, observation_model,
                                      output_size, set_output_bias)
from explorer.models.registry import ESTIMATORS_BY_KIND, evaluation_terms, training_terms
from explorer.models.vqvae import VQVAE, vq_terms

__all__ = [
    "BernoulliDVAE", "CategoricalVAE", "ESTIMATORS_BY_KIND", "GaussianVAE", "LIKELIHOODS",
    "LOGVAR_MAX", "LOGVAR_MIN", "LatentVariableModel", "LinearGaussianModel", "ObservedDecoder",
    "VQVAE", "categorical_terms", "check_likelihood", "dvae_iwae", "dvae_log_weights",
    "dvae_terms", "evaluation_terms", "mlp", "observation_model", "output_size",
    "set_output_bias", "training_terms", "vq_terms",
]
