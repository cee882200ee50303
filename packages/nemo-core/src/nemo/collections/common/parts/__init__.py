"""Small building blocks shared by the collections and the examples, one concept per module.

- ``number_words``: English number words (``number_to_words``, ``ordinal_to_words``, ``digits_to_words``), used by
  ASR transcript cleaning, TTS text normalization and the toy translation corpus.
- ``graph_capture``: ``capturing_graph``, whether a graph is being captured (then no data-dependent shortcuts).
- ``dropout``: ``Dropout``, ``nn.Dropout`` with a cheaper CPU mask, used by the ASR, TTS and NLP transformer blocks.
"""
