"""Images in chat messages: find them in the row's order, name them by content, read data URIs.

Rows carry images as OpenAI chat content parts, ``{"type": "image_url", "image_url": {"url": URL}}``, where
URL is a ``data:image/...;base64,...`` URI or an ``http(s)`` URL. Shapes seen in other tools are normalised
to that one: ``{"type": "image_url", "image_url": URL}``, ``{"type": "image", "image": URL}`` (Qwen-VL / HF
processors), ``{"type": "input_image", "image_url": URL}`` (OpenAI Responses API). Other non-text parts
(``input_audio``, ``video_url`` ...) pass through unchanged and count as media a text-only model cannot see.

An image is named by the hash of its content: the decoded bytes of a data URI, the URL itself otherwise
(a URL's bytes are not fetched). Group keys and cache keys use these names.

>>> png = data_uri(b"\\x89PNG fake bytes")
>>> msgs = [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, {"type": "image", "image": png}]}]
>>> [p["type"] for p in media_parts(msgs)], image_digests(msgs) == [digest(png)]
(['image_url'], True)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import zlib
from typing import Any, Iterable

Part = dict[str, Any]

_DATA_URI = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[\w.+-]+=[\w.+-]+)*)(?P<b64>;base64)?,", re.ASCII)


def image_url(part: Any) -> str | None:
    """The URL (or data URI) of an image part in any of the accepted shapes, else None.

    >>> image_url({"type": "image_url", "image_url": {"url": "https://x/a.png"}}), image_url({"type": "text", "text": "hi"})
    ('https://x/a.png', None)
    """
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    if kind in ("image_url", "input_image"):
        value = part.get("image_url")
        if isinstance(value, dict):
            value = value.get("url")
        return value if isinstance(value, str) and value else None
    if kind == "image":
        value = part.get("image", part.get("url"))
        if isinstance(value, dict):
            value = value.get("url")
        return value if isinstance(value, str) and value else None
    return None


def normalise_part(part: Part) -> Part:
    """An image part in the OpenAI chat shape (other parts unchanged; a part already in that shape is returned as is)."""
    url = image_url(part)
    if url is None:
        return part
    inner = part.get("image_url")
    if part.get("type") == "image_url" and isinstance(inner, dict):
        return part
    out: Part = {"type": "image_url", "image_url": {"url": url}}
    detail = part.get("detail") or (inner.get("detail") if isinstance(inner, dict) else None)
    if isinstance(detail, str):
        out["image_url"]["detail"] = detail
    return out


def _contents(messages: Any) -> Iterable[Any]:
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list):
        return
    for m in messages:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list):
            yield from content


def media_parts(*message_lists: Any) -> list[Part]:
    """The non-text parts of chat messages (images normalised), in the order the messages give them."""
    return [normalise_part(p) for msgs in message_lists for p in _contents(msgs)
            if isinstance(p, dict) and p.get("type", "text") != "text"]


def image_urls(*message_lists: Any) -> list[str]:
    """The URLs / data URIs of the images in chat messages, in order."""
    return [u for msgs in message_lists for u in (image_url(p) for p in _contents(msgs)) if u is not None]


def decode_data_uri(url: str) -> tuple[str, bytes]:
    """(mime type, bytes) of a base64 ``data:`` URI; ``ValueError`` for anything else.

    >>> decode_data_uri("data:image/png;base64,aGk=")
    ('image/png', b'hi')
    """
    m = _DATA_URI.match(url)
    if m is None or not m.group("b64"):
        raise ValueError(f"not a base64 data: URI ({url[:40]!r})")
    try:
        data = base64.b64decode(url[m.end():], validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"data: URI with bad base64 ({exc})") from None
    return m.group("mime") or "application/octet-stream", data


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """A base64 ``data:`` URI of ``data``."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def digest(url: str) -> str:
    """The content name of one image: blake2b of a data URI's decoded bytes, of the URL itself otherwise.

    >>> digest(data_uri(b"abc")) == digest("data:image/png;base64,YWJj") != digest("https://x/abc.png")
    True
    """
    try:
        payload = decode_data_uri(url)[1] if url.startswith("data:") else url.encode()
    except ValueError:
        payload = url.encode()
    return hashlib.blake2b(payload, digest_size=12).hexdigest()


def image_digests(*message_lists: Any) -> list[str]:
    """The content names of the images in chat messages, in order."""
    return [digest(u) for u in image_urls(*message_lists)]


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour 8-bit RGB PNG (zlib + struct; for examples, probes and tests that need a real image).

    >>> solid_png(2, 1, (255, 0, 0))[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")
