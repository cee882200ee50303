"""Building blocks behind the ASR modules: features, Jasper blocks, augmentation, decoding results."""
