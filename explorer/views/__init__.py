"""What a trained model shows (arrays in, arrays out; the pages draw them):

    latent       posterior statistics, decoded manifolds, interpolations, traversals, KL per dimension
    code_views   a categorical or binary model's codes: posteriors, usage, edited codes
    vq_views     a VQ-VAE's encoder outputs against its codebook, usage, edited codes
    bound_views  one point's bound ladder, Rényi family, posterior grid and gap decomposition

Submodules are imported on demand (`from explorer.views import latent`): some need sklearn.
"""
__all__ = ["bound_views", "code_views", "latent", "vq_views"]
