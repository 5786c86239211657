"""The neural encoders (need torch): one subpackage, split by job.

``_config``      the configuration dataclass, its declared constraints and the recipe defaults
``_data``        tokens to ids, sentence batches and stream chunks
``_cells``       the recurrent layers: fused (cuDNN) and scratch (the equations written out)
``_model``       the language model around the layers: embeddings, output layer, ELMo-style mix
``_train``       the training loop: epochs, validation, early stopping, precision, DDP
``_checkpoint``  checkpoints and saved models, written and read in one place
``recurrent``    the registered encoders (rnn, birnn, gru, bigru, lstm, bilstm, ...)

Nothing here is imported by ``import forge``; ``forge.create`` imports it on first use.
"""
