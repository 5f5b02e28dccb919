"""Bounds on log p(x): the ELBO, the importance-weighted L_k, the Rényi family, and the exact
log p(x) by quadrature (d ≤ 2) or enumeration (small discrete latents) they are measured
against, with the gap decomposition (second and third lecture texts).

    log p(x) = ELBO + KL(q(z|x) ‖ p(z|x)),   ELBO ≤ L_1 ≤ … ≤ L_k ≤ log p(x).
"""
from explorer.bounds.elbo import elbo
from explorer.bounds.iwae import effective_sample_size, iwae
from explorer.bounds.kl import gaussian_kl_per_dimension, kl_per_variable, kl_to_prior
from explorer.bounds.log_weights import (CHUNK_FLOATS, auto_chunk_size, bernoulli_log_likelihood,
                                         chunked, chunked_log_weights, log_joint,
                                         log_likelihood, log_mean_exp, log_weights)
from explorer.bounds.quadrature import exact_log_marginal, posterior_grid
from explorer.bounds.renyi import renyi_bound, renyi_reduce

__all__ = [
    "CHUNK_FLOATS", "auto_chunk_size", "bernoulli_log_likelihood", "chunked",
    "chunked_log_weights", "effective_sample_size", "elbo", "exact_log_marginal",
    "gaussian_kl_per_dimension", "iwae", "kl_per_variable", "kl_to_prior", "log_joint",
    "log_likelihood", "log_mean_exp", "log_weights", "posterior_grid", "renyi_bound",
    "renyi_reduce",
]
