"""forge-fasttext: gensim FastText as a forge encoder plugin (``forge.create("fasttext")``).

Registered through the ``forge.encoders`` entry point group; gensim's FastText
is imported only when the encoder is fitted or loaded (FastTextEncoder extends
forge's Word2VecEncoder, which imports gensim the same way).
"""

from forge_fasttext.encoder import FastTextEncoder

__version__ = "0.1.0"
__all__ = ["FastTextEncoder", "__version__"]
