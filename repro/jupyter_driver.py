"""Runs notebook cells through a real Jupyter kernel for the repro harness (`npm run repro -- --jupyter`).

Started by repro/kernel.ts with Debian's /usr/bin/python3 (python3-nbclient). It starts the
kernel with nbclient, then executes cells on request, one JSON line each way:

  stdin:  {"op": "execute", "index": i}   |   {"op": "shutdown"}
  stdout: {"type": "ready", "kernel": name, "language_info": {...}}
          {"type": "done", "ok": bool, "status": "ok"|"error", "outputs": [...],
           "execution_count": n, "error": {"ename", "evalue", "traceback"} | null, "dead": bool}
          {"type": "fatal", "error": {...}}   (the kernel could not start)

The harness (TypeScript) owns the output notebook: it records timing and status per cell and
saves after every cell. nbclient supplies the start timeout (startup_timeout), the per-cell
timeout (timeout) and the kernel liveness watchdog (it polls the kernel process during each
cell and raises DeadKernelError when it dies, e.g. after an out-of-memory kill).
"""

import argparse
import json
import os
import signal
import sys
import traceback

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notebook", required=True)
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--cwd", required=True)
    ap.add_argument("--start-timeout", type=int, default=60)
    ap.add_argument("--cell-timeout", type=int, default=600)
    args = ap.parse_args()
    # SIGTERM from the harness (a hung cell) unwinds through setup_kernel(), which shuts the kernel down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    # The protocol owns the real stdout; anything else printed to fd 1 (by us or a child that
    # inherits it) goes to stderr instead of corrupting the JSON lines.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def send(msg):
        proto.write(json.dumps(msg) + "\n")
        proto.flush()

    nb = nbformat.read(args.notebook, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.cell_timeout,
        startup_timeout=args.start_timeout,
        allow_errors=True,
        record_timing=False,
        resources={"metadata": {"path": args.cwd}},
    )
    replies = {}

    def on_cell_executed(cell, cell_index, execute_reply):
        replies[cell_index] = execute_reply

    client.on_cell_executed = on_cell_executed

    try:
        with client.setup_kernel():
            info = run_sync(client.kc.kernel_info)(reply=True, timeout=args.start_timeout)
            send({"type": "ready", "kernel": args.kernel, "language_info": info["content"].get("language_info", {})})
            for line in sys.stdin:
                req = json.loads(line)
                if req.get("op") == "shutdown":
                    break
                index = req["index"]
                cell = nb.cells[index]
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError as e:
                    send(done(cell, False, {"ename": "DeadKernelError", "evalue": f"the kernel died: {e}"}, dead=True))
                    return 1
                except CellTimeoutError as e:
                    send(done(cell, False, {"ename": "CellTimeoutError", "evalue": str(e).splitlines()[0]}, dead=True))
                    return 1
                reply = replies.pop(index, None)
                content = (reply or {}).get("content", {})
                status = content.get("status", "error" if reply is None else "ok")
                error = None
                if status != "ok":
                    error = {k: content.get(k) for k in ("ename", "evalue", "traceback") if content.get(k)}
                send(done(cell, status == "ok", error, status=status))
    except Exception as e:  # noqa: BLE001 - anything here means the kernel never became usable
        send({"type": "fatal", "error": {"ename": type(e).__name__, "evalue": str(e), "traceback": traceback.format_exc().splitlines()}})
        return 1
    return 0


def done(cell, ok, error, status=None, dead=False):
    return {
        "type": "done",
        "ok": ok,
        "status": status or ("ok" if ok else "error"),
        "outputs": cell.get("outputs", []),
        "execution_count": cell.get("execution_count"),
        "error": error,
        "dead": dead,
    }


if __name__ == "__main__":
    sys.exit(main())
