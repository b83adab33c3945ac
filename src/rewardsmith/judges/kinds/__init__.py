"""Judge kinds, one module each; every one is a registered async reward taking ``JudgeConfig`` params."""
