"""Rewards that run what the model wrote, inside the sandbox: code tests, SQL, code security, tool calls."""
