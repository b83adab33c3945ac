"""A scripted OpenAI-compatible server on 127.0.0.1, for tests, probes and benchmarks.

It speaks ``POST /v1/chat/completions``, ``POST /v1/completions`` (both with ``logprobs`` when asked),
``GET /v1/models`` and vLLM's ``POST /classify`` (also at ``/v1/classify``, as SGLang serves it; both the
completion form ``{"input": [...]}`` and the chat form ``{"messages": [...]}``, whose content parts may be
images, as vLLM's pooling runner takes them for a vision-language classifier) over real
HTTP (FastAPI + uvicorn on a free port, in a background thread). Each request's JSON goes to your
*handler*, which says what to answer:

- a ``str``: the reply text (choice 0; ``n`` > 1 calls the handler once per choice);
- a ``list[str]``: one choice per item;
- a :class:`Reply`: text plus a scripted HTTP ``status``, ``delay`` (seconds, non-blocking), a raw ``body``
  (e.g. malformed JSON), ``headers`` (e.g. ``Retry-After``), ``top_logprobs`` for the first token, ``usage``,
  ``prompt_logprobs`` (the echoed prompt's tokens and log-probs);
- a ``dict``: returned verbatim as the JSON body;
- for ``/classify``: a ``list`` of class-probability lists, one per ``input`` (sent as vLLM's ``data`` items);
  a chat-form request (``messages``: one conversation) is one input.

``/v1/completions`` follows the legacy API (and vLLM): a ``prompt`` list (of texts, or of token-id lists) is
answered prompt by prompt (the handler sees each prompt alone; choice ``index`` = prompt number * ``n`` + sample number), and ``echo: true``
returns the prompt in front of the text, with the prompt's tokens in ``logprobs`` (the first one's log-prob
is ``null``: nothing precedes it). ``max_tokens: 0`` with ``echo`` returns the prompt alone.

The handler may be a plain function or an ``async def``. No token is required unless ``api_key`` is set
(then ``Authorization: Bearer <api_key>`` is checked and anything else gets 401). ``srv.calls`` counts the
requests, ``srv.requests`` keeps their JSON bodies (with ``"_path"`` added).

Example::

    from rewardsmith.testing.openai_server import Reply, ScriptedOpenAI
    import httpx

    def judge(request: dict) -> str | Reply:
        text = request["messages"][-1]["content"]
        if "overloaded" in text:
            return Reply(status=429, headers={"Retry-After": "0"})
        return '{"score": 7}'

    with ScriptedOpenAI(judge, delay=0.0) as srv:
        r = httpx.post(srv.base_url + "/chat/completions",
                       json={"model": "m", "messages": [{"role": "user", "content": "rate this"}]})
        assert r.json()["choices"][0]["message"]["content"] == '{"score": 7}'
        assert srv.calls == 1

Ready-made handlers: :func:`always` (same text every time) and :func:`yes_to_everything` (a gullible judge
that approves anything: the target the judge guard protects against).

For load tests where the server must not share the client's GIL, :class:`ScriptedOpenAIProcess` runs the
same server in a subprocess with a fixed reply and delay (``python -m rewardsmith.testing.openai_server``).

>>> with ScriptedOpenAI(always("yes")) as srv:
...     import httpx
...     body = httpx.post(srv.base_url + "/completions", json={"model": "m", "prompt": "ok?"}).json()
>>> body["choices"][0]["text"], srv.calls
('yes', 1)
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Union

Answer = Union[str, list[str], "Reply", dict[str, Any]]
Handler = Callable[[dict[str, Any]], Union[Answer, Awaitable[Answer]]]


@dataclass
class Reply:
    """A scripted answer. ``status`` != 200 sends an OpenAI-style error body (unless ``body`` is given).

    ``body`` (str or bytes) is sent as-is with ``content-type: application/json`` — use it for malformed
    JSON. ``top_logprobs`` maps candidate first tokens to log-probabilities (for logprob judges).
    ``delay`` overrides the server's delay for this reply. ``usage`` overrides the token counts.
    ``prompt_logprobs``: ``(token, logprob)`` pairs whose tokens concatenate to the prompt, echoed under
    ``echo: true`` (default: the prompt split at spaces, log-prob 0).
    """

    text: str | list[str] = ""
    status: int = 200
    delay: float | None = None
    body: str | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    top_logprobs: dict[str, float] | None = None
    usage: dict[str, int] | None = None
    finish_reason: str = "stop"
    prompt_logprobs: list[tuple[str, float]] | None = None


def always(text: str) -> Handler:
    """A handler that answers ``text`` to every request."""

    def handler(request: dict[str, Any]) -> str:
        return text

    return handler


def yes_to_everything(request: dict[str, Any]) -> Reply:
    """A gullible judge: approves anything with top marks, in every format judges ask for.

    It answers with a verdict that every parser in ``rewardsmith.judges`` reads as the best outcome (score 10
    of 10, "yes", correct), with P(yes) ~ 1 in the logprobs.
    """
    verdict = '{"score": 10, "verdict": "yes", "correct": true, "winner": "A", "explanation": "Looks right."}'
    return Reply(text=verdict, top_logprobs={"yes": -0.001, "Yes": -7.0, "no": -9.0, "No": -9.5})


def _count_tokens(text: str) -> int:
    return max(1, len(text.split())) if text else 0


def _request_text(request: dict[str, Any]) -> str:
    if "messages" in request:
        parts: list[str] = []
        for m in request.get("messages") or []:
            content = m.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                parts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return "\n".join(parts)
    prompt = request.get("prompt", "")
    return prompt if isinstance(prompt, str) else "\n".join(map(str, prompt))


def _tokens_of(text: str) -> list[str]:
    """Whitespace-kept split: 'a b' -> ['a', ' b'] (a stand-in tokenizer for scripted logprobs)."""
    out: list[str] = []
    for i, word in enumerate(text.split(" ")):
        out.append(word if i == 0 else " " + word)
    return [t for t in out if t] or [""]


def _logprob_block(text: str, top: dict[str, float] | None, k: int, chat: bool) -> dict[str, Any]:
    tokens = _tokens_of(text)
    firsts: list[dict[str, float]] = []
    for i, tok in enumerate(tokens):
        if i == 0 and top:
            cands = dict(sorted(top.items(), key=lambda kv: -kv[1])[: max(k, 1)])
        else:
            cands = {tok: 0.0}
        firsts.append(cands)
    own = [0.0] * len(tokens)
    if top:
        own[0] = top.get(tokens[0], max(top.values()))
    if chat:
        return {
            "content": [
                {
                    "token": tok,
                    "logprob": lp,
                    "bytes": list(tok.encode()),
                    "top_logprobs": [{"token": t, "logprob": v, "bytes": list(t.encode())} for t, v in cands.items()],
                }
                for tok, lp, cands in zip(tokens, own, firsts)
            ]
        }
    return _completion_block(tokens, list(own), list(firsts))


def _completion_block(
    tokens: list[str], values: list[float | None], tops: list[dict[str, float] | None], start: int = 0
) -> dict[str, Any]:
    """The legacy completions ``logprobs`` object; ``text_offset`` counts characters from ``start``."""
    offsets, pos = [], start
    for tok in tokens:
        offsets.append(pos)
        pos += len(tok)
    return {"tokens": tokens, "token_logprobs": values, "top_logprobs": tops, "text_offset": offsets}


def _echo_block(prompt: str, scripted: list[tuple[str, float]] | None, text_block: dict[str, Any] | None) -> dict[str, Any]:
    """Prompt tokens (first log-prob null, as vLLM and OpenAI report it), then the generated tokens."""
    pairs = scripted if scripted is not None else [(t, 0.0) for t in _tokens_of(prompt) if t]
    if "".join(t for t, _ in pairs) != prompt:
        raise ValueError("prompt_logprobs tokens do not concatenate to the prompt")
    tokens = [t for t, _ in pairs]
    values: list[float | None] = [None if i == 0 else float(v) for i, (_, v) in enumerate(pairs)]
    tops: list[dict[str, float] | None] = [None if i == 0 else {t: float(v)} for i, (t, v) in enumerate(pairs)]
    out = _completion_block(tokens, values, tops)
    if text_block is not None:
        more = _completion_block(text_block["tokens"], text_block["token_logprobs"], text_block["top_logprobs"], len(prompt))
        for key in out:
            out[key] = out[key] + more[key]
    return out


def _whole_response(answer: Any) -> bool:
    """An answer that is the whole response (a verbatim body, a scripted error), not one choice."""
    return isinstance(answer, dict) or (isinstance(answer, Reply) and (answer.status != 200 or answer.body is not None))


def _flatten(answers: list[Any]) -> list[tuple[str, dict[str, float] | None, Reply | None]]:
    """(text, first-token top logprobs, the Reply it came from) for each choice the answers make."""
    out: list[tuple[str, dict[str, float] | None, Reply | None]] = []
    for a in answers:
        if isinstance(a, list):
            out.extend((str(t), None, None) for t in a)
        elif isinstance(a, Reply):
            items = a.text if isinstance(a.text, list) else [a.text]
            out.extend((t, a.top_logprobs, a) for t in items)
        else:
            out.append((str(a), None, None))
    return out


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.requests: list[dict[str, Any]] = []

    def record(self, path: str, body: Any) -> None:
        with self.lock:
            self.calls += 1
            entry = dict(body) if isinstance(body, dict) else {"_raw": body}
            entry["_path"] = path
            self.requests.append(entry)


def build_app(
    handler: Handler,
    *,
    state: _State | None = None,
    api_key: str | None = None,
    delay: float = 0.0,
    model: str = "scripted",
    keep_requests: bool = True,
) -> Any:
    """The FastAPI app behind :class:`ScriptedOpenAI` (usable on its own with any ASGI server)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response

    app = FastAPI(title="scripted-openai", docs_url=None, redoc_url=None, openapi_url=None)
    st = state or _State()
    is_async = inspect.iscoroutinefunction(handler)

    def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        kind = {401: "authentication_error", 429: "rate_limit_exceeded"}.get(status, "server_error")
        return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status, headers=headers)

    async def accept(request: Request) -> tuple[dict[str, Any], Response | None]:
        """Read, count and authorise a request: its JSON body, or the error response to send."""
        path = request.url.path
        raw = await request.body()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            st.record(path, raw.decode(errors="replace"))
            return {}, error(400, "request body is not JSON")
        if not keep_requests:
            with st.lock:
                st.calls += 1
        else:
            st.record(path, body)
        if api_key is not None and request.headers.get("authorization") != f"Bearer {api_key}":
            return body, error(401, "invalid or missing API key")
        return body, None

    async def ask(body: dict[str, Any]) -> Any:
        got = handler(body)
        if is_async or inspect.isawaitable(got):
            got = await got  # type: ignore[misc]
        return got

    async def whole(reply: Any) -> Response | None:
        """The response for an answer that is the whole response (after its delay), else None."""
        wait = reply.delay if isinstance(reply, Reply) and reply.delay is not None else delay
        if wait > 0:
            await asyncio.sleep(wait)
        if isinstance(reply, dict):
            return JSONResponse(reply)
        if isinstance(reply, Reply) and reply.body is not None:
            data = reply.body.encode() if isinstance(reply.body, str) else reply.body
            return Response(data, reply.status, headers=reply.headers, media_type="application/json")
        if isinstance(reply, Reply) and reply.status != 200:
            return error(reply.status, f"scripted HTTP {reply.status}", reply.headers)
        return None

    async def serve(request: Request, chat: bool) -> Response:
        body, refused = await accept(request)
        if refused is not None:
            return refused
        n = int(body.get("n") or 1)
        prompts = None if chat else body.get("prompt")
        if isinstance(prompts, list) and prompts and all(isinstance(p, (str, list)) for p in prompts):
            subs = [dict(body, prompt=p) for p in prompts]  # legacy completions: one answer per prompt
        else:
            subs = [body]
        groups: list[tuple[dict[str, Any], list[Any]]] = []
        stop: Any = None
        for sub in subs:
            answers: list[Any] = []
            for _ in range(n):
                got = await ask(sub)
                answers.append(got)
                if isinstance(got, list) or _whole_response(got):
                    break
            groups.append((sub, answers))
            if _whole_response(answers[0]):
                stop = answers[0]
                break
        first = stop if stop is not None else groups[0][1][0]
        reply = first if isinstance(first, Reply) else None
        done = await whole(first)
        if done is not None:
            return done
        want_lp = bool(body.get("logprobs"))
        k = int(body.get("top_logprobs") or (body.get("logprobs") if not chat and not isinstance(body.get("logprobs"), bool) else 0) or 1)
        echo = not chat and bool(body.get("echo"))
        texts: list[str] = []
        choices = []
        for sub, answers in groups:
            ids_prompt = isinstance(sub.get("prompt"), list)  # token ids: the echo is the scripted tokens' text
            scripted = [rep.prompt_logprobs for _, _, rep in _flatten(answers) if rep and rep.prompt_logprobs]
            prompt = (sub.get("prompt") if isinstance(sub.get("prompt"), str)
                      else "".join(t for t, _ in scripted[0]) if ids_prompt and scripted else "")
            for text, top, rep in _flatten(answers):
                if echo and body.get("max_tokens") == 0:
                    text = ""
                texts.append(text)
                src = rep or reply
                choice: dict[str, Any] = {"index": len(choices), "finish_reason": src.finish_reason if src else "stop"}
                if chat:
                    choice["message"] = {"role": "assistant", "content": text}
                else:
                    choice["text"] = prompt + text if echo else text
                block = _logprob_block(text, top, k, chat) if want_lp and (text or not echo) else None
                if want_lp and echo:
                    try:
                        block = _echo_block(prompt, rep.prompt_logprobs if rep else None, block)
                    except ValueError as exc:
                        return error(500, f"scripted reply: {exc}")
                choice["logprobs"] = block
                choices.append(choice)
        prompt_tokens = _count_tokens(_request_text(body))
        completion_tokens = sum(_count_tokens(t) for t in texts)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if reply is not None and reply.usage:
            usage.update(reply.usage)
        out = {
            "id": f"scripted-{st.calls}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": body.get("model") or model,
            "choices": choices,
            "usage": usage,
        }
        headers = reply.headers if reply is not None else None
        return JSONResponse(out, headers=headers)

    # plain Starlette routes (no FastAPI dependency resolution: faster, and immune to postponed annotations)
    async def chat_completions(request: Request) -> Response:
        return await serve(request, chat=True)

    async def completions(request: Request) -> Response:
        return await serve(request, chat=False)

    async def classify(request: Request) -> Response:
        """vLLM's (and SGLang's) classify API: the handler gives each input's class probabilities."""
        body, refused = await accept(request)
        if refused is not None:
            return refused
        got = await ask(body)
        done = await whole(got)
        if done is not None:
            return done
        inputs = body.get("input")
        if "messages" in body:  # vLLM's ClassificationChatRequest: one conversation, images allowed
            if not isinstance(body["messages"], list) or inputs is not None:
                return error(400, "a chat classify request has a 'messages' list and no 'input'")
            texts = [_request_text({"messages": body["messages"]})]
        else:
            texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        if not isinstance(got, list) or len(got) != len(texts):
            return error(500, "a /classify handler answers a list of class probabilities, one list per input")
        data = []
        for i, probs in enumerate(got):
            probs = [float(v) for v in probs]
            best = max(range(len(probs)), key=probs.__getitem__) if probs else 0
            data.append({"index": i, "label": f"LABEL_{best}", "probs": probs, "num_classes": len(probs)})
        tokens = sum(_count_tokens(str(t)) for t in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens, "completion_tokens": 0, "prompt_tokens_details": None}
        return JSONResponse({"id": f"classify-{st.calls}", "object": "list", "created": int(time.time()),
                             "model": body.get("model") or model, "data": data, "usage": usage})

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": model, "object": "model", "owned_by": "rewardsmith"}]})

    app.router.add_route("/v1/chat/completions", chat_completions, methods=["POST"])
    app.router.add_route("/v1/completions", completions, methods=["POST"])
    app.router.add_route("/v1/models", models, methods=["GET"])
    for path in ("/classify", "/v1/classify"):
        app.router.add_route(path, classify, methods=["POST"])
    return app


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class ScriptedOpenAI:
    """Context manager: a scripted OpenAI-compatible server in a background thread on 127.0.0.1.

    ``handler(request_json) -> str | list[str] | Reply | dict`` (sync or async); ``delay`` seconds are added
    to every reply (non-blocking); ``api_key`` makes the server require ``Bearer <api_key>``.
    Attributes: ``base_url`` (``http://127.0.0.1:PORT/v1``), ``port``, ``calls``, ``requests``.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        delay: float = 0.0,
        api_key: str | None = None,
        model: str = "scripted",
        keep_requests: bool = True,
    ) -> None:
        self.handler: Handler = handler or always("")
        self.delay = delay
        self.api_key = api_key
        self.model = model
        self._state = _State()
        self._keep = keep_requests
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def calls(self) -> int:
        return self._state.calls

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return list(self._state.requests)

    def reset(self) -> None:
        """Forget the counted calls and kept requests."""
        with self._state.lock:
            self._state.calls = 0
            self._state.requests.clear()

    def start(self) -> ScriptedOpenAI:
        import uvicorn

        app = build_app(
            self._dispatch, state=self._state, api_key=self.api_key, delay=self.delay, model=self.model,
            keep_requests=self._keep,
        )
        sock = _free_socket()
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", backlog=2048)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"scripted-openai-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("scripted OpenAI server did not start")
            time.sleep(0.01)
        return self

    def _dispatch(self, request: dict[str, Any]) -> Any:
        return self.handler(request)  # indirection: tests may swap ``srv.handler`` between calls

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class ScriptedOpenAIProcess:
    """The scripted server in a subprocess (fixed reply text, status and delay), for load tests.

    ``calls`` is read from ``GET /stats`` of the subprocess.
    """

    def __init__(self, reply: str = "yes", *, delay: float = 0.0, status: int = 200) -> None:
        self.reply, self.delay, self.status = reply, delay, status
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def calls(self) -> int:
        import httpx

        return int(httpx.get(f"http://127.0.0.1:{self.port}/stats").json()["calls"])

    def __enter__(self) -> ScriptedOpenAIProcess:
        import httpx

        sock = _free_socket()
        self.port = sock.getsockname()[1]
        cmd = [sys.executable, "-m", "rewardsmith.testing.openai_server", "--fd", str(sock.fileno()),
               "--reply", self.reply, "--delay", str(self.delay), "--status", str(self.status)]
        self._proc = subprocess.Popen(cmd, pass_fds=[sock.fileno()])
        sock.close()
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/v1/models", timeout=1.0)
                break
            except httpx.HTTPError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("scripted OpenAI subprocess did not start") from None
                time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None


def main(argv: list[str] | None = None) -> int:
    """``python -m rewardsmith.testing.openai_server --port 8000 --reply yes --delay 0.1``."""
    import uvicorn

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--fd", type=int, default=None, help="serve on this inherited listening socket")
    p.add_argument("--reply", default="yes")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--status", type=int, default=200)
    args = p.parse_args(argv)
    state = _State()
    reply = Reply(text=args.reply, status=args.status)
    app = build_app(lambda _req: reply, state=state, delay=args.delay, keep_requests=False)

    from fastapi.responses import JSONResponse

    async def stats(request: Any) -> Any:
        return JSONResponse({"calls": state.calls})

    app.router.add_route("/stats", stats, methods=["GET"])

    if args.fd is not None:
        sock = socket.socket(fileno=args.fd)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", args.port))
        sock.listen(2048)
        print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", backlog=2048)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
