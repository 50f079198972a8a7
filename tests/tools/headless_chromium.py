"""Drive Debian's headless `chromium` over the DevTools protocol, with no extra Python package.

`--remote-debugging-pipe` makes Chromium read DevTools commands from file descriptor 3 and write
replies to descriptor 4, each message one JSON object followed by a NUL byte. That is all a test
needs to open a page, read the text it rendered (including text inside shadow DOM, where
TensorBoard's Polymer dashboards keep theirs — `--dump-dom` cannot see it) and save a screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

REPLY_TIMEOUT_S = 60  # longest wait for one DevTools reply

# The text of every text node the page shows, walking into open shadow roots too (TensorBoard's cards
# live there); code and styles are skipped so a name inside a script does not count as shown.
DEEP_TEXT_JS = """
(() => {
  const parts = [];
  const hidden = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT"]);
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
    if (hidden.has(node.nodeName)) return;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document);
  return parts.join(" ");
})()
"""

# How many elements match a CSS selector, counting inside every open shadow root too.
DEEP_COUNT_JS = """
((selector) => {
  let count = 0;
  const walk = (root) => {
    count += root.querySelectorAll(selector).length;
    for (const element of root.querySelectorAll("*")) if (element.shadowRoot) walk(element.shadowRoot);
  };
  walk(document);
  return count;
})
"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """Chromium's path; a skip without it, or a failure under CI=true (.ci/run installs it with apt-get)."""
    import pytest

    path = find_chromium()
    if path is None:
        message = "chromium is not installed (.ci/run installs it with apt-get)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " — CI must have it")
        pytest.skip(message)
    return path


class Chromium:
    """One headless browser with one page; use as a context manager so the process always ends."""

    def __init__(self, executable: str, width: int = 1400, height: int = 900) -> None:
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="torchstart-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def pipes_at_3_and_4() -> None:
            # In the child: its ends of the pipes must sit at fds 3 (commands in) and 4 (replies out).
            # Copy them above 10 first so neither dup2 can overwrite the other; os.pipe() fds are
            # close-on-exec, dup2 copies are not, so only 3 and 4 reach chromium.
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--disable-extensions", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=pipes_at_3_and_4)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        try:
            self.session = self._attach_page()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.process.terminate()
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self) -> dict:
        while b"\0" not in self._buffer:
            if not select.select([self._from_browser], [], [], REPLY_TIMEOUT_S)[0]:
                raise TimeoutError(f"chromium sent nothing for {REPLY_TIMEOUT_S} s")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and return its result (events that arrive meanwhile are dropped)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def _attach_page(self) -> str:
        pages = [t for t in self.send("Target.getTargets")["targetInfos"] if t["type"] == "page"]
        target = pages[0]["targetId"] if pages else self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        # A fixed viewport, so screenshots are exactly width × height whatever the headless window adds.
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False}, session)
        return session

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url}, self.session)

    def text(self) -> str:
        """All text the page shows now, shadow DOM included."""
        result = self.send("Runtime.evaluate", {"expression": DEEP_TEXT_JS, "returnByValue": True}, self.session)
        return result["result"].get("value") or ""

    def count(self, selector: str) -> int:
        """Elements matching `selector` on the page now, shadow DOM included."""
        expression = f"{DEEP_COUNT_JS}({json.dumps(selector)})"
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, self.session)
        return int(result["result"].get("value") or 0)

    def wait_for_count(self, selector: str, at_least: int, timeout: float = 30.0) -> int:
        """How many elements match `selector` once there are `at_least` (or when the time is up)."""
        deadline = time.monotonic() + timeout
        found = self.count(selector)
        while found < at_least and time.monotonic() < deadline:
            time.sleep(0.5)
            found = self.count(selector)
        return found

    def wait_for_text(self, needles: list[str], timeout: float = 30.0) -> str:
        """The page text once it contains every needle (or whatever it shows when the time is up)."""
        deadline = time.monotonic() + timeout
        text = self.text()
        while not all(n in text for n in needles) and time.monotonic() < deadline:
            time.sleep(0.5)
            text = self.text()
        return text

    def evaluate(self, expression: str):
        """The value of a JavaScript expression on the page (a promise is awaited)."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                          self.session)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression!r}: {reply['exceptionDetails'].get('text')}")
        return reply["result"].get("value")

    def type(self, selector: str, text: str) -> None:
        """Focus the element matching `selector` and type `text` into it, as a keyboard would (input events)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", {"text": text}, self.session)

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"}, self.session)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def upload(self, selector: str, path: Path) -> None:
        """Choose `path` in the file input matching `selector`, as a learner picking a file would."""
        root = self.send("DOM.getDocument", {"depth": -1, "pierce": True}, self.session)["root"]["nodeId"]
        node = self.send("DOM.querySelector", {"nodeId": root, "selector": selector}, self.session)["nodeId"]
        if not node:
            raise RuntimeError(f"no element matches {selector!r}")
        self.send("DOM.setFileInputFiles", {"files": [str(Path(path).resolve())], "nodeId": node}, self.session)

    def click(self, selector: str) -> None:
        """Click the first element matching `selector` (not inside shadow DOM)."""
        expression = f"document.querySelector({json.dumps(selector)}).click()"
        reply = self.send("Runtime.evaluate", {"expression": expression}, self.session)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"cannot click {selector!r}: {reply['exceptionDetails'].get('text')}")
