"""Tiny PNG images made in the test (zlib + struct, no imaging library: ``rewardsmith.images.solid_png``)."""

from __future__ import annotations

from typing import Any

from rewardsmith.images import data_uri, solid_png

png = solid_png


def png_uri(rgb: tuple[int, int, int], size: tuple[int, int] = (8, 8)) -> str:
    return data_uri(png(size[0], size[1], rgb))


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
