"""VAE Explorer's library, one subpackage per concept of the lectures (no Streamlit here):

    data        data sets: mnist5k, digits, 2-D toys, downloads, uploads
    models      the model protocol and one module per latent family, with their registry
    objectives  the β-ELBO terms and the score-function surrogate
    bounds      ELBO, IWAE, Rényi, exact log p(x) (quadrature, enumeration), gaps
    estimators  gradient estimators of ∇ E_q[f(z)] and their exact values
    discrete    Gumbel-max/softmax, smoothing transformations, vector quantisation
    toys        the 1-D/2-D teaching models whose answers are known
    views       what a trained model shows (latent space, codes, codebook)
    plots       plotly figure builders, mirroring the above
"""
