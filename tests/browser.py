"""Headless Chromium driven over the DevTools protocol, with only the standard library.

`load(path)` opens a local page and returns what a person's browser would have done with it:
console messages and exceptions, every request it made, dialogs it opened, the answers to
JavaScript probes, and a screenshot. The websocket client is the few lines the protocol needs
(RFC 6455: a masked text frame out, unmasked frames in), so the tests add no dependency.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

INSTALL = "apt-get install -y chromium (or `make test`, which installs it when absent)"


def chromium() -> str:
    """The browser's path; a clear failure (never a skip) when it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError(f"the report's browser test needs headless Chromium: {INSTALL}")


class _Socket:
    def __init__(self, url: str) -> None:
        host_port, _, path = url.removeprefix("ws://").partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, text: str) -> None:
        data, mask = text.encode(), os.urandom(4)
        size = len(data)
        if size < 126:
            header = struct.pack("!BB", 0x81, 0x80 | size)
        elif size < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(header + mask + masked)

    def _exact(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the browser closed the DevTools connection")
            data += chunk
        return data

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._exact(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._exact(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._exact(8))[0]
            payload = self._exact(size)
            if first & 0x0F == 0x8:
                raise ConnectionError("the browser closed the DevTools connection")
            if first & 0x0F in (0x9, 0xA):  # ping/pong: nothing the protocol needs
                continue
            message += payload
            if first & 0x80:
                return message.decode()


@dataclass
class Visit:
    console: list[str] = field(default_factory=list)  # errors and warnings, with their text
    exceptions: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # requests that failed, with the reason
    dialogs: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)


class _Session:
    def __init__(self, ws: _Socket, visit: Visit) -> None:
        self.ws, self.visit, self.next_id = ws, visit, 0

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message.get("result", {})
            self._event(message)

    def wait_for(self, event: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        self.ws.sock.settimeout(seconds)
        while time.monotonic() < deadline:
            message = json.loads(self.ws.receive())
            self._event(message)
            if message.get("method") == event:
                return
        raise AssertionError(f"no {event} within {seconds} s")

    def _event(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        visit = self.visit
        loud = ("error", "warning", "assert")
        if method == "Runtime.consoleAPICalled" and params["type"] in loud:
            visit.console.append(" ".join(str(a.get("value", a)) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            visit.console.append(params["entry"]["text"])
        elif method == "Runtime.exceptionThrown":
            visit.exceptions.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Network.requestWillBeSent":
            visit.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            visit.failed.append(f"{params.get('errorText')} {params.get('blockedReason') or ''}")
        elif method == "Page.javascriptDialogOpening":
            visit.dialogs.append(params["message"])
            self.ws.send(
                json.dumps(
                    {"id": 0, "method": "Page.handleJavaScriptDialog", "params": {"accept": True}}
                )
            )


def load(
    page: Path, probes: dict[str, str], profile: Path, screenshot: Path, settle: str = "true"
) -> Visit:
    """Open `page` (a file) in headless Chromium; `probes` name -> a JavaScript expression,
    evaluated once `settle` (an expression) is true or 10 s have passed; a full-page PNG goes
    to `screenshot`."""
    process = subprocess.Popen(
        [
            chromium(),
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=1200,900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            assert process.poll() is None, f"chromium exited with {process.returncode}"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            target = next(t for t in json.load(answer) if t["type"] == "page")
        visit = Visit()
        session = _Session(_Socket(target["webSocketDebuggerUrl"]), visit)
        for domain in ("Runtime", "Log", "Network", "Page"):
            session.call(f"{domain}.enable")
        session.call("Page.navigate", url=page.resolve().as_uri())
        session.wait_for("Page.loadEventFired", 30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = session.call("Runtime.evaluate", expression=f"!!({settle})", returnByValue=True)
            if done["result"].get("value"):
                break
            time.sleep(0.1)
        for name, expression in probes.items():
            answer = session.call("Runtime.evaluate", expression=expression, returnByValue=True)
            visit.values[name] = answer["result"].get("value")
        shot = session.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        return visit
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
