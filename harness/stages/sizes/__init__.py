"""The dataset-size study: how many demonstrations each pre-trained arm needs."""
