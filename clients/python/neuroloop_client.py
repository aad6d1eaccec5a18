"""A dependency-free client for the neuroloop actuator protocol, version 1.

Standard library only (Python 3.8+). The protocol is specified in
docs/protocol.md; this module is a small, complete implementation of the
client side: connect, hello (role, token, versions), read messages with a
heartbeat watchdog (deadman rule), ack, estop, clear, pause, resume.

    from neuroloop_client import Client, Deadman

    with Client("127.0.0.1", 7878, role="actuator") as c:
        while True:
            try:
                m = c.recv(timeout=0.05)
            except Deadman:
                stop_the_device()
                continue
            if m is None:
                continue                      # nothing yet
            if m["type"] == "intent" and c.is_current(m):
                move(m["class"]); c.ack(m["seq"])
            elif m["type"] in ("intent", "hold", "bye") or (m["type"] == "status" and m["state"] != "running"):
                stop_the_device()                 # a stale intent is a hold

The server's clock is estimated from the heartbeats (docs/protocol.md,
section 5): offset = max(t - local receive time), lowered by at most
CLOCK_DRIFT per second. A heartbeat that waited in a buffer (this process
was frozen, or read slowly) arrives late and does not raise it, so it is
seen to be old: only a fresh heartbeat (sent within the deadman time)
re-arms the watchdog, and an intent whose valid_until has passed is stale.
"""

import json
import socket
import time

PROTOCOL = "neuroloop"
VERSIONS = (1,)
CLOCK_DRIFT = 1e-3  # seconds per second the clock estimate may fall


class ProtocolError(Exception):
    """The server sent something this client cannot use."""


class ServerError(ProtocolError):
    """The server refused the hello (e.g. unauthorized, unsupported_version)."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


class Deadman(Exception):
    """No heartbeat for deadman_ms: an actuator must stop now."""

    def __init__(self, silent_ms, limit_ms):
        super().__init__("no heartbeat for %d ms (limit %d ms)" % (silent_ms, limit_ms))
        self.silent_ms = silent_ms
        self.limit_ms = limit_ms


class Closed(ProtocolError):
    """The connection closed."""


class Client:
    """One connection. `role=None` and no token: send nothing, stay an observer.

    `host`/`port` for TCP, or `unix="/path"` for the Unix domain socket.
    """

    def __init__(self, host=None, port=None, role=None, token=None, name=None,
                 versions=VERSIONS, timeout=5.0, max_line=1 << 20, unix=None):
        if unix is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.settimeout(timeout)
                self.sock.connect(unix)
            except BaseException:
                self.sock.close()
                raise
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        try:
            self._handshake(role, token, name, versions, timeout, max_line)
        except BaseException:
            self.sock.close()
            raise

    def _handshake(self, role, token, name, versions, timeout, max_line):
        if self.sock.family != socket.AF_UNIX:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""
        self._max_line = max_line
        self._pending = []
        self.role = "observer"
        self.client_id = None
        self.hello = self._read_line(timeout)
        if self.hello is None or self.hello.get("type") != "hello":
            raise ProtocolError("expected hello, got %r" % (self.hello,))
        offered = set(self.hello.get("versions") or [self.hello.get("version")])
        if self.hello.get("protocol") != PROTOCOL or not offered & set(versions):
            raise ProtocolError("unsupported protocol %r versions %r"
                                % (self.hello.get("protocol"), sorted(offered)))
        self.version = max(offered & set(versions))
        hb = self.hello.get("heartbeat_ms") or 0
        missed = self.hello.get("deadman_missed") or 0
        self.deadman_ms = hb * missed if hb and missed else None
        self._last_heartbeat = time.monotonic()
        self._deadman_reported = False
        self._offset = None  # (server minus local seconds, local time it was set)
        self.last_heartbeat_fresh = False
        if role is not None or token is not None or self.hello.get("auth") == "token":
            hello = {"type": "hello", "versions": list(versions), "role": role or "observer"}
            if token is not None:
                hello["token"] = token
            if name is not None:
                hello["name"] = name
            self.send(hello)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ProtocolError("no welcome from the server")
                m = self._read_line(left)
                if m is None:
                    continue
                if m["type"] == "welcome":
                    self.version = m["version"]
                    self.role = m["role"]
                    self.client_id = m["client"]
                    break
                if m["type"] == "error":
                    raise ServerError(m["code"], m.get("message", ""))
                if m["type"] == "bye":
                    raise Closed("server said bye")
                self._observe(m)
                self._pending.append(m)
        self._last_heartbeat = time.monotonic()

    # -- reading ---------------------------------------------------------
    def _read_line(self, timeout):
        """One parsed message, or None when `timeout` passes first."""
        deadline = time.monotonic() + max(timeout, 0.0)
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise Closed("connection closed")
            self._buf += chunk
            if b"\n" not in self._buf and len(self._buf) > self._max_line:
                raise ProtocolError("line longer than %d bytes" % self._max_line)
        line, _, self._buf = self._buf.partition(b"\n")
        line = line.strip()
        if not line:
            return self._read_line(max(deadline - time.monotonic(), 0.0))
        try:
            message = json.loads(line.decode("utf-8"))
        except ValueError as e:
            raise ProtocolError("invalid line: %s" % e)
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise ProtocolError("not a message: %r" % (message,))
        return message

    def deadman_expired(self):
        return (self.deadman_ms is not None
                and (time.monotonic() - self._last_heartbeat) * 1000 >= self.deadman_ms)

    def recv(self, timeout=None):
        """The next message (a dict), or None after `timeout` seconds.

        Raises Deadman once when no fresh heartbeat arrived for deadman_ms (a
        later fresh heartbeat re-arms it), Closed when the connection closes.
        """
        if self._pending:
            return self._pending.pop(0)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = 3600.0 if deadline is None else deadline - time.monotonic()
            if self.deadman_ms is not None and not self._deadman_reported:
                silent = (time.monotonic() - self._last_heartbeat) * 1000
                if silent >= self.deadman_ms:
                    self._deadman_reported = True
                    raise Deadman(silent, self.deadman_ms)
                wait = min(wait, (self.deadman_ms - silent) / 1000.0)
            if deadline is not None and time.monotonic() >= deadline:
                return None
            m = self._read_line(max(wait, 0.001))
            if m is None:
                continue
            self._observe(m)
            return m

    # -- the server's clock ------------------------------------------------
    def _offset_now(self, local):
        if self._offset is None:
            return None
        offset, at = self._offset
        return offset - CLOCK_DRIFT * max(local - at, 0.0)

    def server_now(self):
        """The server's clock now (seconds), or None before the first heartbeat."""
        local = time.monotonic()
        offset = self._offset_now(local)
        return None if offset is None else local + offset

    def age_of(self, server_time):
        """Seconds since `server_time` on the server's clock, or None."""
        now = self.server_now()
        return None if now is None else now - server_time

    def is_current(self, intent):
        """Whether an intent may still be acted on (its valid_until not passed)."""
        now = self.server_now()
        if now is None:
            return False
        until = intent.get("valid_until")
        if until is None:  # an earlier server: publish time + deadman time
            if self.deadman_ms is None:
                return False
            until = intent["t"]["publish"] + self.deadman_ms / 1000.0
        return now <= until

    def _observe(self, m):
        if m["type"] != "heartbeat":
            return
        local = time.monotonic()
        sample = m["t"] - local
        offset = self._offset_now(local)
        self._offset = (sample if offset is None or sample > offset else offset, local)
        age = self.age_of(m["t"])
        fresh = self.deadman_ms is None or age <= self.deadman_ms / 1000.0
        self.last_heartbeat_fresh = fresh
        if fresh:
            self._last_heartbeat = local
            self._deadman_reported = False

    # -- sending ---------------------------------------------------------
    def send(self, message):
        self.sock.sendall(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")

    def send_raw(self, data):
        self.sock.sendall(data)

    def ack(self, seq):
        self.send({"type": "ack", "seq": seq})

    def estop(self, reason=None):
        m = {"type": "estop"}
        if reason is not None:
            m["reason"] = reason
        self.send(m)

    def clear(self):
        self.send({"type": "clear"})

    def pause(self):
        self.send({"type": "pause"})

    def resume(self):
        self.send({"type": "resume"})

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
