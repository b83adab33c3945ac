"""What runs in the sandboxed program's own process (untrusted from the first line of the program on).

``run_python`` runs a program as ``__main__``. ``serve`` runs it, then answers the judge's calls on the
call channel (fd 3 in, fd 4 out; 4-byte length + JSON of ``rewardsmith.trusted.plain``): each call's
result goes back as plain data, or, when it is not plain, as a handle to an object kept here. Nothing
here is trusted by the judge: the program may rewrite any of it, and all it can achieve is to answer a
call with some plain value, which the judge then compares with what the tests expect (values it never
sees). Standard library only (the sandbox worker loads it).
"""

from __future__ import annotations

import builtins
import os
import sys
import traceback
from typing import Any

from rewardsmith.sandbox.linux import read_exact
from rewardsmith.trusted import plain

CALL_IN, CALL_OUT = 3, 4


def _show_source(filename: str, source: str) -> None:
    """Let a traceback print the program's lines (and the limit classifier see e.g. ``os.fork()``)."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def _finish(code: int) -> int:
    # the std stream objects sit on the run's pipes: flush what the program wrote to them
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    return code


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _load(source: str, run_dir: str) -> dict:
    main = {"__name__": "__main__", "__builtins__": builtins, "__file__": os.path.join(run_dir, "main.py")}
    exec(compile(source, "main.py", "exec"), main)
    return main


def run_python(source: str, run_dir: str) -> int:
    """Run ``source`` as ``__main__``; the exit status."""
    code = 0
    try:
        _load(source, run_dir)
    except SystemExit as exc:
        code = _exit_code(exc)
    except MemoryError:
        os.write(2, b"MemoryError: memory limit reached\n")
        code = 1
    except BaseException:
        try:
            _show_source("main.py", source)
            traceback.print_exc()
        except BaseException:
            os.write(2, b"error\n")
        code = 1
    return _finish(code)


# ------------------------------------------------------------------------------------ call channel


def _send(message: list) -> None:
    data = plain.json.dumps(message, separators=(",", ":")).encode()
    view = memoryview(len(data).to_bytes(4, "big") + data)
    while view:
        view = view[os.write(CALL_OUT, view) :]


class _Channel:
    """The program's end: resolves the judge's references, keeps non-plain results, serves calls."""

    def __init__(self, main: dict) -> None:
        self.main = main
        self.handles: list[Any] = []

    def ref(self, value: Any) -> dict:
        self.handles.append(value)
        return {"h": len(self.handles) - 1}

    def resolve(self, target: list) -> Any:
        root, first, *path = target
        if root == "h":
            obj = self.handles[first]
        elif first in self.main:
            obj = self.main[first]
        elif hasattr(builtins, first):
            obj = getattr(builtins, first)
        else:
            raise NameError(f"name {first!r} is not defined")
        for name in path:
            obj = getattr(obj, name)
        return obj

    def incoming(self, tag: str, body: Any) -> Any:
        if tag == "cb":
            return self.callback(body)
        if tag == "n" and type(body) is list and len(body) >= 2:
            return self.resolve(body)
        raise plain.BadWire(f"unexpected reference {tag!r}")

    def callback(self, ident: int) -> Any:
        def call_judge(*args: Any, **kwargs: Any) -> Any:
            _send(["cb", ident, plain.tagged(list(args), self.ref), plain.tagged(kwargs, self.ref)])
            return self.wait()

        return call_judge

    def reply(self, value: Any, mutated: list | None = None) -> list:
        try:
            return ["v", plain.tagged(value), mutated or []]
        except plain.NotPlain:
            return ["o", self.ref(value)["h"], type(value).__name__]

    def serve_one(self, message: list) -> list:
        kind = message[0]
        try:
            if kind == "g":
                return self.reply(self.resolve(message[1]))
            target, args, kwargs = message[1], message[2], message[3]
            fn = self.resolve(target)
            before = {i: plain.encode(a) for i, a in enumerate(args) if type(a) in (list, dict, set)}
            value = fn(*args, **kwargs)
            mutated = []
            for i, text in before.items():
                try:
                    if plain.encode(args[i]) != text:
                        mutated.append([i, plain.tagged(args[i])])
                except plain.NotPlain:
                    pass
            return self.reply(value, mutated)
        except (SystemExit, KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as exc:
            if isinstance(exc, MemoryError):
                os.write(2, b"MemoryError: memory limit reached\n")
            try:
                text = str(exc)[:300]
            except BaseException:
                text = ""
            return ["e", type(exc).__name__, text]

    def wait(self) -> Any:
        """Serve calls until the judge answers our callback (nested calls are served meanwhile)."""
        while True:
            message = self.receive()
            if message[0] == "r":
                return message[1]
            if message[0] == "x":
                raise RuntimeError(f"callback failed: {message[1]}")
            self.answer(message)

    def receive(self) -> list:
        n = int.from_bytes(read_exact(CALL_IN, 4), "big")
        return plain.decode(read_exact(CALL_IN, n), self.incoming)

    def answer(self, message: list) -> None:
        if message[0] == "b":  # the answers of several calls at once, in order
            reply = ["B", [self.serve_one(m) for m in message[1]]]
        else:
            reply = self.serve_one(message)
        try:
            _send(reply)
        except (ValueError, TypeError, RecursionError):  # e.g. an int past the int/str digit limit
            _send(["e", "ValueError", "the answer cannot be sent as plain data"])

    def loop(self) -> None:
        while True:
            try:
                message = self.receive()
            except EOFError:
                return
            self.answer(message)


def serve(source: str, run_dir: str) -> int:
    """Load the program, say whether it loaded, then answer calls until the judge closes the channel."""
    try:
        main = _load(source, run_dir)
    except SystemExit as exc:
        _finish(0)
        _send(["fail", f"SystemExit: {exc.code}"])
        return 1
    except BaseException as exc:
        if isinstance(exc, MemoryError):
            os.write(2, b"MemoryError: memory limit reached\n")
        _send(["fail", f"{type(exc).__name__}: {str(exc)[:300]}"])
        return _finish(1)
    _send(["ready"])
    try:
        _Channel(main).loop()
    except SystemExit as exc:
        return _finish(_exit_code(exc))
    return _finish(0)
