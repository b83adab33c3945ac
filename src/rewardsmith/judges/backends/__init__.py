"""Judge backends: ``openai_http`` (any OpenAI-compatible server), ``local`` (transformers / embedded GGUF)."""
