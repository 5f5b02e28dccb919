"""What a trained model shows: its latent space (posterior statistics, decoded manifolds,
traversals), its discrete codes, and a VQ-VAE's codebook. Arrays in, arrays out."""
