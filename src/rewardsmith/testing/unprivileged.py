"""Run a command as ``nobody`` from root (tests and benchmarks of the unprivileged sandbox mode).

``setpriv`` drops to nobody. When this interpreter lives under a folder other users cannot enter (e.g.
/root/.pyenv), the command gets a private mount namespace (``unshare``) in which that folder is an empty
tmpfs with only the interpreter's tree put back at its own path: the interpreter becomes reachable and
nothing else of the folder is.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

NOBODY_UID = 65534


def available() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None and shutil.which("unshare") is not None


def _blocked_for_others(path: str) -> str | None:
    """The first ancestor of ``path`` that other users cannot enter, if any."""
    for parent in reversed(Path(path).parents):
        if str(parent) != "/" and not os.stat(parent).st_mode & 0o001:
            return str(parent)
    return None


def as_nobody(argv: list[str], env: dict[str, str]) -> list[str]:
    """The command line that runs ``argv`` as nobody with exactly ``env`` (call as root)."""
    roots = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)})
    script = ["set -e"]
    for n, root in enumerate(roots):
        blocked = _blocked_for_others(root)
        if blocked is None:
            continue
        view = f"/tmp/rewardsmith-view-{os.getpid()}-{n}"
        script += [f"mkdir -p {view}", f"mount --bind {root} {view}", f"mount -t tmpfs -o mode=0755 tmpfs {blocked}",
                   f"mkdir -p {root}", f"mount --move {view} {root}", f"rmdir {view}"]
    script.append('exec setpriv --reuid=nobody --regid=nogroup --clear-groups env -i "$@"')
    envs = [f"{k}={v}" for k, v in env.items()]
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script), "sh", *envs, *argv]
