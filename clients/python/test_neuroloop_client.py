"""Tests of the Python client against a real neuroloop session.

The session is the `neuroloop` binary named by NEUROLOOP_BIN (the Rust test
crates/neuroloop-cli/tests/python_client.rs sets it and runs these tests as
part of `cargo test --workspace`). Without it the tests fail; they never skip.
"""

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from neuroloop_client import Client, Closed, Deadman, ServerError

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TOKEN = "python-test-token-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """`neuroloop run` on a free port with extra [publish] settings."""

    def __init__(self, publish="", host="127.0.0.1", unix=False):
        binary = os.environ.get("NEUROLOOP_BIN")
        if not binary or not os.path.exists(binary):
            raise RuntimeError("NEUROLOOP_BIN must name the built neuroloop binary (got %r)" % binary)
        self.port = free_port()
        with open(os.path.join(REPO, "configs", "demo.toml")) as f:
            text = f.read()
        profile = os.path.join(REPO, "hardware-profiles", "simulated.toml")
        text = text.replace('hardware_profile = "simulated"', 'hardware_profile = "%s"' % profile)
        self.dir = tempfile.mkdtemp(prefix="neuroloop-py-")
        self.unix = os.path.join(self.dir, "neuroloop.sock") if unix else None
        if self.unix:
            publish += '\nunix = "%s"' % self.unix
        old = 'tcp = "127.0.0.1:7878"\nqueue = 64\n'
        assert old in text, "demo config changed"
        text = text.replace(old, 'tcp = "%s:%d"\nqueue = 64\n%s\n' % (host, self.port, publish))
        path = os.path.join(self.dir, "session.toml")
        with open(path, "w") as f:
            f.write(text)
        self.proc = subprocess.Popen([binary, "run", path, "--duration", "60"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Ready when it says it serves on the port (a connection probe to a
        # free port can, rarely, connect to itself before the session
        # listens); its stderr is drained from then on.
        ready = "intents on %s:%d" % (host, self.port)
        self.log = []
        seen = threading.Event()

        def drain():
            for line in self.proc.stderr:
                text = line.decode(errors="replace")
                self.log.append(text)
                if ready in text:
                    seen.set()

        self.drainer = threading.Thread(target=drain, daemon=True)
        self.drainer.start()
        deadline = time.monotonic() + 60
        while not seen.wait(0.1):
            if not self.drainer.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("session did not start: %s" % "".join(self.log))

    def client(self, **kw):
        return Client("127.0.0.1", self.port, **kw)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.drainer.join(10)
        self.proc.stderr.close()


def until(client, pred, timeout=3.0):
    """The first message matching pred within timeout, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            m = client.recv(timeout=0.05)
        except Deadman:
            continue
        if m is not None and pred(m):
            return m
    return None


def is_error(code):
    return lambda m: m["type"] == "error" and m["code"] == code


class LoopbackSession(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.session = Session("heartbeat_ms = 50\ndeadman_missed = 3", unix=True)

    @classmethod
    def tearDownClass(cls):
        cls.session.stop()

    def test_handshake_intents_in_order_and_heartbeat_rate(self):
        with self.session.client() as c:  # sends nothing: observer
            h = c.hello
            self.assertEqual(h["protocol"], "neuroloop")
            self.assertEqual(h["version"], 1)
            self.assertEqual(h["classes"], ["left", "right"])
            self.assertEqual(h["clock"], "process-monotonic-seconds")
            self.assertEqual((h["heartbeat_ms"], h["deadman_missed"]), (50, 3))
            self.assertEqual(c.deadman_ms, 150)
            self.assertEqual(c.role, "observer")
            # 41 heartbeats (2 s of them at 50 ms), judged by the server's
            # own stamps, not by how fast this client got to read them.
            seqs, beats = [], []
            while len(beats) < 41:
                m = c.recv(timeout=1.0)
                self.assertIsNotNone(m)
                if m["type"] in ("intent", "hold"):
                    seqs.append(m["seq"])
                elif m["type"] == "heartbeat":
                    beats.append(m)
            self.assertGreaterEqual(len(seqs), 15, "10 windows a second for 2 s")
            self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))), "consecutive")
            span = beats[-1]["t"] - beats[0]["t"]
            rate = (len(beats) - 1) / span
            self.assertTrue(18.0 <= rate <= 22.0, "heartbeat rate %.1f/s" % rate)

    def test_a_backlog_read_late_is_stale_and_does_not_rearm_the_watchdog(self):
        with self.session.client(role="actuator") as c:
            self.assertIsNotNone(until(c, lambda m: m["type"] == "heartbeat"))
            self.assertTrue(c.last_heartbeat_fresh)
            now = c.server_now()
            self.assertIsNotNone(now)
            self.assertTrue(c.is_current({"type": "intent", "valid_until": now + 1.0}))
            self.assertFalse(c.is_current({"type": "intent", "valid_until": now - 0.01}))
            time.sleep(1.0)  # not reading: lines wait in the socket
            with self.assertRaises(Deadman):
                c.recv(timeout=1.0)
            # The first heartbeat read now was sent about 1 s ago.
            beat = until(c, lambda m: m["type"] == "heartbeat")
            self.assertGreater(c.age_of(beat["t"]), 0.5)
            self.assertFalse(c.last_heartbeat_fresh)
            self.assertTrue(c.deadman_expired(), "a stale heartbeat does not re-arm")
            # Read on: a fresh one comes and re-arms it.
            self.assertIsNotNone(until(c, lambda m: m["type"] == "heartbeat"
                                       and c.last_heartbeat_fresh))
            self.assertFalse(c.deadman_expired())

    def test_holds_without_a_decode_carry_no_probabilities(self):
        with self.session.client() as c:
            m = until(c, lambda m: m["type"] == "hold" and m["hold_reason"] == "calibrating")
            self.assertIsNotNone(m)
            self.assertNotIn("probabilities", m)
            self.assertNotIn("confidence", m)
            self.assertEqual(c.hello["intent_max_age_ms"], 200)
            self.assertEqual(c.hello["limits"]["max_lag_ms"], 1000)

    def test_the_unix_socket_speaks_the_same_protocol(self):
        with Client(unix=self.session.unix, role="actuator") as c:
            self.assertEqual(c.role, "actuator")
            self.assertEqual(c.hello["heartbeat_ms"], 50)
            self.assertIsNotNone(until(c, lambda m: m["type"] == "heartbeat"))
            self.assertIsNotNone(until(c, lambda m: m["type"] in ("intent", "hold")))

    def test_actuator_hello_welcome_and_acks(self):
        with self.session.client(role="actuator", name="py") as c:
            self.assertEqual(c.role, "actuator")
            self.assertIsInstance(c.client_id, int)
            status = until(c, lambda m: m["type"] == "status")
            self.assertEqual(status["state"], "running")
            m = until(c, lambda m: m["type"] in ("intent", "hold"))
            self.assertIsNotNone(m)
            c.ack(m["seq"])
            c.ack(10 ** 12)
            self.assertIsNotNone(until(c, is_error("unknown_seq")))

    def test_roles_are_enforced_and_bad_input_gets_codes(self):
        with self.session.client(role="observer") as obs, \
                self.session.client(role="actuator") as act:
            for client, line, code in [
                (obs, b'{"type":"estop"}\n', "forbidden"),
                (obs, b'{"type":"ack","seq":1}\n', "forbidden"),
                (act, b'{"type":"clear"}\n', "forbidden"),
                (act, b'{"type":"pause"}\n', "forbidden"),
                (act, b'not json\n', "invalid_json"),
                (act, b'{"type":"warp"}\n', "unknown_type"),
                (act, b'{"type":"ack"}\n', "invalid_message"),
                (act, b'{"type":"estop","reason":"' + b"x" * 5000 + b'"}\n', "line_too_long"),
            ]:
                client.send_raw(line)
                got = until(client, lambda m: m["type"] == "error")
                self.assertIsNotNone(got, line[:40])
                self.assertEqual(got["code"], code, line[:40])
            # Still connected and served.
            self.assertIsNotNone(until(act, lambda m: m["type"] == "heartbeat"))

    def test_estop_halts_everyone_until_an_operator_clears(self):
        with self.session.client(role="actuator") as act, \
                self.session.client(role="operator") as op, \
                self.session.client() as obs:
            act.estop("python test")
            for c in (act, op, obs):
                st = until(c, lambda m: m["type"] == "status" and m["state"] == "estop")
                self.assertIsNotNone(st)
                self.assertEqual(st["by"]["role"], "actuator")
                self.assertEqual(st["reason"], "python test")
                self.assertIsNotNone(until(c, lambda m: m["type"] == "hold"
                                           and m["hold_reason"] == "estop"))
                hb = until(c, lambda m: m["type"] == "heartbeat")
                self.assertEqual(hb["state"], "estop")
            act.clear()
            self.assertIsNotNone(until(act, is_error("forbidden")))
            op.clear()
            for c in (act, obs):
                self.assertIsNotNone(until(c, lambda m: m["type"] == "status"
                                           and m["state"] == "running"))
                m = until(c, lambda m: m["type"] == "hold")
                self.assertNotEqual(m["hold_reason"], "estop")


class TokenSession(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.session = Session('token = "%s"\nhello_timeout_ms = 300' % TOKEN, host="0.0.0.0")

    @classmethod
    def tearDownClass(cls):
        cls.session.stop()

    def test_silent_client_is_told_and_closed(self):
        s = socket.create_connection(("127.0.0.1", self.session.port), timeout=3)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        lines = data.decode().splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertIn('"auth":"token"', lines[0])
        self.assertIn('"code":"unauthorized"', lines[1])

    def test_wrong_or_missing_token_is_refused(self):
        for token in ("python-test-token-0123456789abcdeX", None):
            with self.assertRaises(ServerError) as e:
                self.session.client(role="actuator", token=token)
            self.assertEqual(e.exception.code, "unauthorized")

    def test_the_token_admits(self):
        with self.session.client(role="operator", token=TOKEN) as c:
            self.assertEqual(c.role, "operator")
            self.assertIsNotNone(until(c, lambda m: m["type"] in ("intent", "hold")))


class DeadmanRule(unittest.TestCase):
    def test_a_stopped_server_trips_the_deadman_in_time_and_a_killed_one_closes(self):
        session = Session("heartbeat_ms = 100\ndeadman_missed = 3")
        try:
            c = session.client(role="actuator")
            self.assertIsNotNone(until(c, lambda m: m["type"] == "heartbeat"))
            os.kill(session.proc.pid, signal.SIGSTOP)
            stopped = time.monotonic()
            with self.assertRaises(Deadman) as e:
                while True:
                    c.recv(timeout=2.0)
                    self.assertLess(time.monotonic() - stopped, 2.0, "no deadman")
            elapsed = (time.monotonic() - stopped) * 1000
            self.assertEqual(e.exception.limit_ms, 300)
            self.assertTrue(150 <= elapsed <= 550, "deadman after %.0f ms" % elapsed)
            os.kill(session.proc.pid, signal.SIGCONT)
            self.assertIsNotNone(until(c, lambda m: m["type"] == "heartbeat"))
            self.assertFalse(c.deadman_expired())
            session.proc.kill()
            with self.assertRaises(Closed):
                while True:
                    c.recv(timeout=2.0)
            c.close()
        finally:
            session.stop()


if __name__ == "__main__":
    unittest.main()
