#!/usr/bin/env python3
"""Test stand-in for `systemctl restart qrkiosk` of the Type=notify unit (hardware/qrkiosk.service), unprivileged.

usage: software-supervisor.py ROOT CONFIG SECONDS
Stops the daemon it started last (ROOT/daemon.pid), binds a notify socket (AF_UNIX datagram, as systemd's),
starts ROOT/qrkiosk/bin/qrkiosk run -c CONFIG in its own session with NOTIFY_SOCKET, and exits as systemctl does:
0 once READY=1 arrives, 1 if the daemon exits first or stays silent for SECONDS (then it is killed).
The daemon outlives this process, as a service outlives systemctl.
"""
import os
import signal
import socket
import subprocess
import sys
import time

root, config, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
pidfile = os.path.join(root, "daemon.pid")


def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie has stopped
    except FileNotFoundError:
        return False


try:
    old = int(open(pidfile).read())
    if running(old):
        os.kill(old, signal.SIGTERM)
        deadline = time.time() + 10
        while running(old) and time.time() < deadline:
            time.sleep(0.05)
        if running(old):
            os.kill(old, signal.SIGKILL)
except (FileNotFoundError, ValueError, ProcessLookupError):
    pass

path = os.path.join(root, "notify.sock")
if os.path.exists(path):
    os.unlink(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
sock.settimeout(0.2)
log = open(os.path.join(root, "daemon.log"), "ab")
child = subprocess.Popen(
    [os.path.join(root, "qrkiosk", "bin", "qrkiosk"), "run", "-c", config],
    env={**os.environ, "NOTIFY_SOCKET": path},
    stdout=log,
    stderr=log,
    stdin=subprocess.DEVNULL,
    start_new_session=True,
)
with open(pidfile, "w") as f:
    f.write(str(child.pid))
deadline = time.time() + limit
while True:
    try:
        data = sock.recv(65536)
        if b"READY=1" in data.split(b"\n"):
            print(f"READY from pid {child.pid}")
            sock.close()
            os.unlink(path)
            sys.exit(0)
    except socket.timeout:
        pass
    code = child.poll()
    if code is not None:
        print(f"daemon exited with code {code} before READY")
        sys.exit(1)
    if time.time() > deadline:
        child.kill()
        print(f"no READY within {limit} s")
        sys.exit(1)
