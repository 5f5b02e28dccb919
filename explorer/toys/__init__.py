"""The teaching models whose answers are known:

    posterior    a 1-D latent model with p(z|x) exact on a grid (ELBO & posterior page)
    posterior2d  its 2-D variant, a ridge or a curved posterior
    learning     variational learning of a scalar θ: log p(x; θ) and ELBO curves, EM steps
    marginals    Monte Carlo estimates of p(x): naive and importance sampling
    counter_noise  N(0, 1) draws addressed by (seed, index), which the browser draws alike
    costs        toy costs f(z) with closed-form E[f] and gradients for the estimator race
"""
__all__ = ["costs", "counter_noise", "learning", "marginals", "posterior", "posterior2d"]
