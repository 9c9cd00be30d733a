"""Interop server: Python websockets (Debian's python3-websockets) for the statesocket client.

Usage: python3 python-server.py [CERTFILE KEYFILE]. Listens on 127.0.0.1, an ephemeral port, and
prints "PORT <n>" once listening. Echoes every message with its type, except three text commands:
"fragments please" (answered with the text "fragmented" in three fragments), "ping me" (a Ping with
the payload "server ping"; "ponged" once its Pong arrived) and "close me" (a Close 4001 "server bye").
Picks the subprotocol chat.v2 when offered; accepts permessage-deflate (the library's defaults,
honouring what the client asks of the server). Runs until stdin closes.
"""
import asyncio
import ssl
import sys

import websockets


async def handler(ws, path=None):
    try:
        async for message in ws:
            if message == "fragments please":
                # An iterable is sent as one fragmented message (RFC 6455 §5.4).
                await ws.send(["frag", "ment", "ed"])
            elif message == "ping me":
                pong = await ws.ping(b"server ping")
                await asyncio.wait_for(pong, 5)
                await ws.send("ponged")
            elif message == "close me":
                await ws.close(4001, "server bye")
            else:
                await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main(certfile, keyfile):
    context = None
    if certfile:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=context, subprotocols=["chat.v2"], max_size=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        loop = asyncio.get_running_loop()
        # Serve until the test closes stdin.
        await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main(*(sys.argv[1:3] if len(sys.argv) > 2 else (None, None))))
