"""Reads chairsim's outputs as a second Modbus TCP client (chairsim serves several), by the names
of the shipped map hardware-maps/chairsim.conf (the one register table), so a test sees what
reached the simulated chair, not what the daemon believes it wrote. Plain Modbus TCP: read coils
(function 1) and read holding registers (function 3), each with a bounded timeout."""
import os
import re
import socket
import struct

import chairtest


def output_registers():
    """{output name: (table, address, signed)} from the shipped map."""
    with open(os.path.join(chairtest.SOURCE_DIR, "hardware-maps", "chairsim.conf")) as f:
        text = f.read()
    out = {}
    for name, body in re.findall(r"^\[output\.(\w+)\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S):
        keys = dict(re.findall(r"^(\w+)\s*=\s*(\S+)", body, re.M))
        out[name] = (keys["table"], int(keys["address"]), keys.get("signed") == "yes")
    return out


class ChairsimRegisters:
    def __init__(self, port, slave=1, timeout=2.0):
        self.slave = slave
        self.map = output_registers()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout * chairtest.SLOWDOWN)
        self.tid = 0

    def _request(self, function, address, count):
        self.tid = (self.tid + 1) & 0xFFFF
        pdu = struct.pack(">BHH", function, address, count)
        self.sock.sendall(struct.pack(">HHHB", self.tid, 0, len(pdu) + 1, self.slave) + pdu)
        header = self._recv(7)
        tid, _, length, _ = struct.unpack(">HHHB", header)
        body = self._recv(length - 1)
        assert tid == self.tid and body[0] == function, f"Modbus exception or mismatch: {body!r}"
        return body[2:2 + body[1]]

    def _recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("chairsim closed the connection")
            data += chunk
        return data

    def get(self, name):
        table, address, signed = self.map[name]
        if table == "coil":
            return self._request(1, address, 1)[0] & 1
        assert table == "holding", (name, table)
        (value,) = struct.unpack(">h" if signed else ">H", self._request(3, address, 1))
        return value

    def snapshot(self, names):
        """{name: value} for several outputs, one request per table (coils and holding
        registers each read as one block, so a poll loop adds little to chairsim's load)."""
        out = {}
        for table, function in (("coil", 1), ("holding", 3)):
            wanted = [n for n in names if self.map[n][0] == table]
            if not wanted:
                continue
            lo = min(self.map[n][1] for n in wanted)
            hi = max(self.map[n][1] for n in wanted)
            data = self._request(function, lo, hi - lo + 1)
            for n in wanted:
                at = self.map[n][1] - lo
                if table == "coil":
                    out[n] = (data[at // 8] >> (at % 8)) & 1
                else:
                    (out[n],) = struct.unpack(">h" if self.map[n][2] else ">H", data[2 * at:2 * at + 2])
        return out

    def close(self):
        self.sock.close()
