#!/usr/bin/env python3
"""A TCP relay between keycab-forward and keyauditd that a test cuts at a
known moment. relay.py LISTEN_PORT TARGET_PORT STAMP: relays 127.0.0.1
connections on LISTEN_PORT to TARGET_PORT. SIGUSR1 arms it: once the
next answer of keyauditd has gone through (a heartbeat's), it closes every
connection and stops listening (a connection is refused, as a service gone
away), and writes the wall-clock ms of that moment to STAMP. SIGUSR2
listens again."""
import asyncio
import os
import signal
import sys
import time

LISTEN, TARGET, STAMP = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
state = {"armed": False, "server": None, "conns": set()}


async def pipe(r, w, answers):
    try:
        while True:
            data = await r.read(65536)
            if not data:
                break
            w.write(data)
            await w.drain()
            if answers and state["armed"]:
                state["armed"] = False
                await asyncio.sleep(0.02)  # the rest of the answer
                cut()
                return
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        w.close()


async def conn(cr, cw):
    try:
        sr, sw = await asyncio.open_connection("127.0.0.1", TARGET)
    except OSError:
        cw.close()
        return
    tasks = {asyncio.ensure_future(pipe(cr, sw, False)), asyncio.ensure_future(pipe(sr, cw, True))}
    state["conns"].update([cw, sw])
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t in tasks:
        t.cancel()
    cw.close()
    sw.close()


def cut():
    if state["server"]:
        state["server"].close()
        state["server"] = None
    for w in list(state["conns"]):
        w.close()
    state["conns"].clear()
    with open(STAMP + ".tmp", "w") as f:
        f.write("%d\n" % int(time.time() * 1000))
    os.rename(STAMP + ".tmp", STAMP)


async def listen():
    state["server"] = await asyncio.start_server(conn, "127.0.0.1", LISTEN)


def main():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(listen())
    loop.add_signal_handler(signal.SIGUSR1, lambda: state.update(armed=True))
    loop.add_signal_handler(signal.SIGUSR2, lambda: state["server"] or loop.create_task(listen()))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.run_forever()


main()
