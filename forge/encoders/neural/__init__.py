"""The neural encoders (need torch): one family, two architectures, one subpackage split by job.

``_config``      the configuration dataclasses: NeuralConfig (shared) + RecurrentConfig / AttentionConfig,
                 each constraint declared once
``_data``        tokens to ids, sentence batches and stream chunks
``_cells``       the recurrent layers: fused (cuDNN) and scratch (the equations written out)
``_model``       LanguageModel (embedding + output layer: full, tied, adaptive, sampled) and RecurrentLM
``_attention``   TransformerLM: pre-LN blocks, causal or masked, fused (SDPA) or scratch attention
``_devices``     devices, DDP process groups, the precision policy, progress bars
``_train``       the one training loop: epochs, validation, early stopping, exact training perplexity
``_checkpoint``  checkpoints and saved models, written and read in one place
``_encoder``     NeuralEncoder: fit, embed, the ELMo-style mix, perplexity, persistence (shared)
``recurrent``    the registered recurrent encoders (rnn, birnn, gru, bigru, lstm, bilstm)
``attention``    the registered attention encoders (transformer, bitransformer)

Nothing here is imported by ``import forge``; ``forge.create`` imports it on first use.
"""
