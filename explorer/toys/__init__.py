"""The teaching models whose answers are known: a 1-D and a 2-D latent model with the exact
posterior on a grid (ELBO & posterior), variational learning of a scalar θ, Monte Carlo
estimates of p(x), and toy costs f(z) with closed-form gradients for the estimator race."""
