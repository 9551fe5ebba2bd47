#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A python3-pymodbus (3.0.0rc1) slave for the Modbus driver's tests, over TCP or RTU.

Every request is logged on stdout: "read FC ADDR COUNT" or "write FC ADDR V1,V2,...".
Commands on stdin change it while it runs:
  di ADDR V | ir ADDR V | co ADDR V | hr ADDR V   set a value
  get hr ADDR | get co ADDR                         prints "value KIND ADDR V"
  mode normal|exception|late                        exception: every request is refused with
                                                    ILLEGAL DATA ADDRESS; late: replies after 0.3 s
"""
import argparse
import asyncio
import sys
import threading
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

state = {"mode": "normal"}


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class LoggingContext(ModbusSlaveContext):
    def validate(self, fc_as_hex, address, count=1):
        if state["mode"] == "exception":
            return False
        return super().validate(fc_as_hex, address, count)

    def getValues(self, fc_as_hex, address, count=1):
        if state["mode"] == "late":
            time.sleep(0.3)  # blocks the server's loop: the reply comes past the driver's timeout
        if fc_as_hex in (1, 2, 3, 4):
            say(f"read {fc_as_hex} {address} {count}")
        return super().getValues(fc_as_hex, address, count)

    def setValues(self, fc_as_hex, address, values):
        say(f"write {fc_as_hex} {address} {','.join(str(int(v)) for v in values)}")
        return super().setValues(fc_as_hex, address, values)


def control(store):
    kinds = {"di": 2, "co": 1, "hr": 3, "ir": 4}
    for line in sys.stdin:
        words = line.split()
        try:
            if words[0] == "mode":
                state["mode"] = words[1]
                say("ok")
            elif words[0] == "get":
                v = store.store[store.decode(kinds[words[1]])].getValues(int(words[2]), 1)[0]
                say(f"value {words[1]} {words[2]} {int(v)}")
            else:
                block = store.store[store.decode(kinds[words[0]])]
                block.setValues(int(words[1]), [int(words[2])])
                say("ok")
        except (IndexError, KeyError, ValueError) as e:
            say(f"error {e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", type=int)
    ap.add_argument("--rtu")
    args = ap.parse_args()
    store = LoggingContext(di=ModbusSequentialDataBlock(0, [0] * 256), co=ModbusSequentialDataBlock(0, [0] * 256),
                           hr=ModbusSequentialDataBlock(0, [0] * 256), ir=ModbusSequentialDataBlock(0, [0] * 256),
                           zero_mode=True)
    # Plausible measurements, so only the values a test sets are out of range.
    store.store["i"].setValues(7, [24000])
    store.store["i"].setValues(5, [220, 220])
    context = ModbusServerContext(slaves=store, single=True)
    threading.Thread(target=control, args=(store,), daemon=True).start()
    if args.tcp:
        coro = StartAsyncTcpServer(context=context, address=("127.0.0.1", args.tcp), framer=ModbusSocketFramer)
    else:
        coro = StartAsyncSerialServer(context=context, port=args.rtu, framer=ModbusRtuFramer, baudrate=115200)
    say("started")
    asyncio.run(coro)


if __name__ == "__main__":
    main()
