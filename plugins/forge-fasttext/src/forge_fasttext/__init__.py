"""forge-fasttext: gensim FastText as a forge encoder plugin (``forge.create("fasttext")``).

Registered through the ``forge.encoders`` entry point group; gensim's FastText
is imported with the encoder (the first time the name ``fasttext`` is asked for),
as forge's Word2Vec, which FastTextEncoder extends.
"""

from forge_fasttext.encoder import FastTextEncoder

__version__ = "0.1.0"
__all__ = ["FastTextEncoder", "__version__"]
