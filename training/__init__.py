"""MedGround training: data prep, fine-tuning, GGUF export and evaluation."""
