"""Test helpers that other projects can use too: a scripted OpenAI-compatible server (``openai_server``)."""
