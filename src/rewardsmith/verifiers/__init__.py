"""Rule verifiers: math answers, QA, multiple choice, format and structure, style, text similarity,
retrieval, grounding and preference verdicts. Each module registers its rewards with ``@reward``."""
