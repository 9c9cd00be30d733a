"""Interop client: Python websockets (Debian's python3-websockets) against a statesocket echo server.

Usage: python3 python-client.py URL [CAFILE]. Prints one JSON object with what it observed.
"""
import asyncio
import json
import ssl
import sys

import websockets


async def main(url, cafile):
    context = ssl.create_default_context(cafile=cafile) if url.startswith("wss:") else None
    result = {"version": websockets.__version__}
    async with websockets.connect(url, subprotocols=["chat.v2", "chat.v1"], ssl=context, max_size=None) as ws:
        result["subprotocol"] = ws.subprotocol
        result["extensions"] = [extension.name for extension in ws.extensions]
        await ws.send("hello")
        result["text"] = await ws.recv() == "hello"
        big = "x" * (1 << 20)
        await ws.send(big)
        result["mib"] = await ws.recv() == big
        await ws.send(bytes([0, 1, 2, 255]))
        result["binary"] = await ws.recv() == bytes([0, 1, 2, 255])
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        result["ping"] = True
        # An iterable is sent as one fragmented message (RFC 6455 §5.4).
        await ws.send(["frag", "ment", "ed"])
        result["fragmented"] = await ws.recv() == "fragmented"
        await ws.close(4000, "bye")
        received = ws.close_rcvd
        result["close"] = {"code": received.code if received else None, "reason": received.reason if received else None}
    print(json.dumps(result))


asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
