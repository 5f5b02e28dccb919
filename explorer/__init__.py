"""VAE Explorer library: data sets, models, bounds and plot builders (no Streamlit here)."""
