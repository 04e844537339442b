#!/usr/bin/env python3
"""The memory attacks of the hardening issue, against a real `bookworm-local serve`, with the
process's resident memory (VmRSS, and its peak VmHWM, from /proc/PID/status) after each.

    python3 tests/bench/attack_memory.py [path/to/bookworm-local]   # default target/debug/...

Standard library only. Starts the stack on a free 127.0.0.1 port with a fresh data folder, then:
  tokens-390k   9,900 requests, each with a random 390 KB bearer token (item 6 as reported)
  tokens-9k     20,000 requests, each with a random token shaped like a JWT, 9 KB: under the
                header limit, so each is verified and its refusal offered to the verdict cache
  ws-15m        40 merchants' sockets, each sending one 15 MB WebSocket message (item 8)
  ws-fragments  40 sockets, each sending 15 MB as a message of 32 KB fragments
"""

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

SHOP = "123e4567-e89b-42d3-a456-426614174000"


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) // 1024
    return fields


def send(port, data, read=True):
    """Sends `data` on a new connection; the first bytes of the answer, or the error."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(data)
            return conn.recv(64) if read else b""
    except OSError as error:
        return repr(error).encode()


def tokens(port, count, size, jwt_shaped):
    answers = {}
    for _ in range(count):
        raw = base64.urlsafe_b64encode(os.urandom(size * 3 // 4)).decode().rstrip("=")
        token = f"{raw[:20]}.{raw[20:-20]}.{raw[-20:]}" if jwt_shaped else raw
        request = f"GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        status = send(port, request.encode())[:12].decode(errors="replace")
        answers[status] = answers.get(status, 0) + 1
    return answers


def websocket(port, token, payload_frames):
    """Opens a merchant socket, sends the frames, and returns how the server closed it."""
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        conn.sendall(
            (
                f"GET /ws?shop_id={SHOP}&token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        if not head.startswith(b"HTTP/1.1 101"):
            return head[:40].decode(errors="replace")
        try:
            for frame in payload_frames():
                conn.sendall(frame)
        except OSError:
            pass  # the server closed the socket mid-message, as it should
        answer = conn.recv(64)
        conn.close()
        # A close frame: 0x88, length, then the code.
        if len(answer) >= 4 and answer[0] == 0x88:
            return f"close {int.from_bytes(answer[2:4], 'big')}"
        return f"answer {answer[:20]!r}"
    except OSError as error:
        return repr(error)


def frame(opcode, payload, last=True):
    """A client frame, masked with the key 0 (valid, and no copy of a 15 MB payload)."""
    first = (0x80 if last else 0) | opcode
    n = len(payload)
    if n < 126:
        length = bytes([0x80 | n])
    elif n < 1 << 16:
        length = bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        length = bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return bytes([first]) + length + b"\0\0\0\0" + payload


def sockets(port, token, frames):
    results, threads = {}, []
    lock = threading.Lock()

    def one():
        result = websocket(port, token, frames)
        with lock:
            results[result] = results.get(result, 0) + 1

    for _ in range(40):
        threads.append(threading.Thread(target=one))
        threads[-1].start()
    for thread in threads:
        thread.join()
    return results


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(target, "debug", "bookworm-local")
    data = tempfile.mkdtemp(prefix="bookworm-attack-")
    env = dict(os.environ, DATA_DIR=data)
    for name in ("PORT", "HOST", "PUSH_BACKEND"):
        env.pop(name, None)
    server = subprocess.Popen(
        [binary, "serve", "--port", "0"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        banner = server.stdout.readline().decode()
        port = int(banner.split("http://")[1].split()[0].rsplit(":", 1)[1])
        token = subprocess.check_output(
            [binary, "token", "--role", "merchant", "--shop", SHOP], cwd=root, env=env
        ).decode().strip()
        send(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        print(f"{'after':<14} {'VmRSS MB':>9} {'VmHWM MB':>9}  answers")
        mem = memory(server.pid)
        print(f"{'start':<14} {mem['VmRSS']:>9} {mem['VmHWM']:>9}")
        fifteen = 15 * 1024 * 1024
        attacks = [
            ("tokens-390k", lambda: tokens(port, 9900, 390 * 1024, False)),
            ("tokens-9k", lambda: tokens(port, 20000, 9 * 1024, True)),
            ("ws-15m", lambda: sockets(port, token, lambda: [frame(0x1, b"a" * fifteen)])),
            (
                "ws-fragments",
                lambda: sockets(
                    port,
                    token,
                    lambda: (
                        frame(0x1 if i == 0 else 0x0, b"a" * 32768, last=i == fifteen // 32768 - 1)
                        for i in range(fifteen // 32768)
                    ),
                ),
            ),
        ]
        for name, attack in attacks:
            answers = attack()
            mem = memory(server.pid)
            print(f"{name:<14} {mem['VmRSS']:>9} {mem['VmHWM']:>9}  {json.dumps(answers)}")
        health = send(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        print("health afterwards:", health[:15].decode(errors="replace"))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
