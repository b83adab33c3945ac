"""Tiny PNG images made in the test (zlib + struct, no imaging library), as bytes or data URIs."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour 8-bit RGB PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")


def png_uri(rgb: tuple[int, int, int], size: tuple[int, int] = (8, 8)) -> str:
    return "data:image/png;base64," + base64.b64encode(png(size[0], size[1], rgb)).decode()


RED = png_uri((255, 0, 0))
BLUE = png_uri((0, 0, 255))
GREEN = png_uri((0, 160, 0))


def image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def image_prompt(text: str, *urls: str) -> list[dict[str, Any]]:
    """One user message: the images, then the question (the order VLM chat templates usually take)."""
    return [{"role": "user", "content": [*(image_part(u) for u in urls), {"type": "text", "text": text}]}]


def request_images(request: dict[str, Any]) -> list[str]:
    """The image URLs of a chat request, in the order the request gives them."""
    out = []
    for m in request.get("messages") or []:
        content = m.get("content")
        if isinstance(content, list):
            out.extend(p["image_url"]["url"] for p in content if isinstance(p, dict) and p.get("type") == "image_url")
    return out
