"""forge-ppmi: PPMI + SVD word vectors as a forge encoder plugin (``forge.create("ppmi")``).

Registered through the ``forge.encoders`` entry point group; nothing here is
imported by ``import forge`` until the name ``ppmi`` is asked for.
"""

from forge_ppmi._counts import count_cooccurrences, ppmi_matrix, window_weights
from forge_ppmi._svd import truncated_svd
from forge_ppmi.encoder import PPMIEncoder

__version__ = "0.1.0"
__all__ = ["PPMIEncoder", "__version__", "count_cooccurrences", "ppmi_matrix", "truncated_svd", "window_weights"]
