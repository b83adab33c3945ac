"""Turn (prompt, completion) into the text a reward model reads: the chat template, or a plain join.

Policy ``chat_template``: ``auto`` (the tokenizer's template when it has one, else the plain join),
``require`` (a tokenizer without a template is an error), ``plain`` (never use a template).
"""

from __future__ import annotations

from typing import Any, Literal

from rewardsmith.types import Message

TemplatePolicy = Literal["auto", "require", "plain"]


class ChatTemplateError(ValueError):
    """The policy asks for a chat template and the tokenizer has none."""


def plain_join(prompt: str, completion: str) -> str:
    """Prompt and completion as one text: joined directly when either side brings whitespace, else by a newline.

    >>> plain_join("Human: hi\\n\\nAssistant:", " hello")
    'Human: hi\\n\\nAssistant: hello'
    >>> plain_join("2+2?", "4")
    '2+2?\\n4'
    """
    if not prompt:
        return completion
    if prompt[-1:].isspace() or completion[:1].isspace():
        return prompt + completion
    return prompt + "\n" + completion


def conversation(prompt: str, completion: str, prompt_messages: list[Message] | None) -> list[Message]:
    """The chat to score: the prompt's messages (or one user turn) plus the completion as the assistant turn.

    >>> conversation("hi", "hello", None)
    [{'role': 'user', 'content': 'hi'}, {'role': 'assistant', 'content': 'hello'}]
    """
    head = list(prompt_messages) if prompt_messages else [{"role": "user", "content": prompt}]
    return head + [{"role": "assistant", "content": completion}]


def format_for_model(
    tokenizer: Any,
    prompt: str,
    completion: str,
    prompt_messages: list[Message] | None = None,
    policy: TemplatePolicy = "auto",
) -> str:
    """The text a reward model scores, following ``policy``."""
    has_template = bool(getattr(tokenizer, "chat_template", None))
    if policy == "require" and not has_template:
        name = getattr(tokenizer, "name_or_path", "?")
        raise ChatTemplateError(
            f"tokenizer {name!r} has no chat template (chat_template: require); "
            "set chat_template: plain to score prompt and completion joined as text"
        )
    if policy == "plain" or not has_template:
        text_prompt = prompt
        if prompt_messages and not prompt:
            text_prompt = "\n".join(str(m.get("content", "")) for m in prompt_messages)
        return plain_join(text_prompt, completion)
    return str(tokenizer.apply_chat_template(conversation(prompt, completion, prompt_messages), tokenize=False))
