"""Runs code cells on a Jupyter kernel and prints each cell's outputs as JSON (nbformat-like dicts).

Unlike nbclient, it keeps reading a request's IOPub messages for GRACE seconds after the kernel reports idle,
as a notebook front end does (it routes messages by parent id whenever they arrive): Deno's kernel sometimes
publishes a cell's execute_result after its idle status, which nbclient drops.

usage: python3 run-kernel.py KERNEL_NAME CELLS.json OUT.json   (JUPYTER_PATH selects the kernel registry)
(the outputs go to a file: the kernel shares stdout and may print there)
"""
import json
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel

GRACE = 3.0
kernel, cells_file, out_file = sys.argv[1], sys.argv[2], sys.argv[3]
cells = json.load(open(cells_file))
km, kc = start_new_kernel(kernel_name=kernel, startup_timeout=120)
results = []
try:
    for code in cells:
        mid = kc.execute(code)
        reply = kc.get_shell_msg(timeout=300)
        while reply["parent_header"].get("msg_id") != mid:
            reply = kc.get_shell_msg(timeout=300)
        outputs, idle_at, start = [], None, time.time()
        while True:
            wait = GRACE - (time.time() - idle_at) if idle_at else 300 - (time.time() - start)
            if wait <= 0:
                break
            try:
                m = kc.get_iopub_msg(timeout=wait)
            except queue.Empty:
                break
            if m["parent_header"].get("msg_id") != mid:
                continue
            t, c = m["msg_type"], m["content"]
            if t == "status" and c["execution_state"] == "idle":
                idle_at = time.time()
            elif t == "stream":
                outputs.append({"output_type": "stream", "name": c["name"], "text": c["text"]})
            elif t in ("execute_result", "display_data"):
                outputs.append({"output_type": t, "data": c["data"], "metadata": c.get("metadata", {})})
            elif t == "error":
                outputs.append({"output_type": "error", "ename": c["ename"], "evalue": c["evalue"], "traceback": c["traceback"]})
        results.append(outputs)
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
with open(out_file, "w") as f:
    json.dump(results, f)
