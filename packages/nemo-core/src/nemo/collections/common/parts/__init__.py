"""Small building blocks shared by the collections and the examples, one concept per module.

- ``number_words``: English number words (``number_to_words``, ``ordinal_to_words``, ``digits_to_words``), used by
  ASR transcript cleaning, TTS text normalization and the toy translation corpus.
- ``graph_capture``: ``capturing_graph``, whether a graph is being captured (then no data-dependent shortcuts).
- ``dropout``: ``Dropout``, ``nn.Dropout`` with a cheaper CPU mask, used by the ASR, TTS and NLP transformer blocks.
- ``batch_norm``: ``batch_norm``, a ``BatchNorm1d``'s training step on CPU with faster statistics (ASR Jasper blocks).
- ``packed_conv``: ``conv_norm_act``, inference-only CPU conv1d (+ folded batch norm, + fused activation) as one
  oneDNN call on a cached weight, prepacked where a fixed shape rule says so (Jasper blocks, FastPitch's
  feed-forward).
- ``cpu_autocast``: ``cpu_autocast_dtype``, the CPU autocast dtype or ``None`` (the shortcuts above run outside it).
"""
