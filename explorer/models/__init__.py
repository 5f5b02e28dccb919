"""Latent variable models on one protocol: prior(), encode(x) → q(z|x), decode(z) → p(x|z),
each a `torch.distributions.Distribution`, and the registry of latent families.

Each family module defines its model and its training terms and registers a
`LatentFamily` (explorer.models.registry); the imports below, in menu order, are the
registry's lines. Probabilistic PCA (linear_gaussian) is the model with everything exact.
"""
import importlib as _importlib
import os as _os

from explorer.models.registry import (DEFAULT, LatentFamily, LatentSize, NoOptions,
                                      evaluation_terms, families, family_of, get, option,
                                      register, training_terms, unregister, with_view)
from explorer.models.protocol import (LIKELIHOODS, LOGVAR_MAX, LOGVAR_MIN, LatentVariableModel,
                                      ObservedDecoder, check_likelihood, mlp, observation_model,
                                      output_size, set_output_bias)

# The registry: one line per latent family (registration order is the Train form's order).
from explorer.models.gaussian import GaussianVAE  # noqa: E402
from explorer.models.categorical import CategoricalVAE, categorical_terms  # noqa: E402
from explorer.models.dvae import BernoulliDVAE, dvae_iwae, dvae_log_weights, dvae_terms  # noqa: E402
from explorer.models.vqvae import VQVAE, vq_terms  # noqa: E402

from explorer.models.linear_gaussian import LinearGaussianModel  # noqa: E402

__all__ = [
    "BernoulliDVAE", "CategoricalVAE", "DEFAULT", "GaussianVAE", "LIKELIHOODS", "LOGVAR_MAX",
    "LOGVAR_MIN", "LatentFamily", "LatentSize", "LatentVariableModel", "LinearGaussianModel",
    "NoOptions", "ObservedDecoder", "VQVAE", "categorical_terms", "check_likelihood",
    "dvae_iwae", "dvae_log_weights", "dvae_terms", "evaluation_terms", "families", "family_of",
    "get", "mlp", "observation_model", "option", "output_size", "register", "set_output_bias",
    "training_terms", "unregister", "vq_terms", "with_view",
]

# Families defined outside this repository: VAE_EXPLORER_FAMILIES=pkg.module,other.module
# is imported here, so the CLI, the app and their worker processes all know them.
for _name in filter(None, (n.strip() for n in _os.environ.get("VAE_EXPLORER_FAMILIES", "").split(","))):
    try:
        _importlib.import_module(_name)
    except ImportError as _exc:
        raise ImportError(f"VAE_EXPLORER_FAMILIES names {_name!r}, which cannot be imported: "
                          f"{_exc}") from _exc
