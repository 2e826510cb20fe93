#!/usr/bin/env python3
"""api_storm.py -- COUNT TLS clients at once against the API (api_test.sh): each connects with an operator's
certificate and asks GET /api/v1/agents. Prints one line: how many got 200, how many some other status, how
many were refused or closed, and the slowest; exits 1 when any hung past BOUND seconds.

usage: api_storm.py PORT CA CERT KEY COUNT BOUND
"""
import asyncio
import resource
import ssl
import sys
import time

port, ca, cert, key, count, bound = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 64)), hard))
context = ssl.create_default_context(cafile=ca)
context.load_cert_chain(cert, key)


async def one(start_gate):
    await start_gate.wait()
    began = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", int(port), ssl=context)
        writer.write(b"GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        line = await reader.readline()
        writer.close()
        status = line.split()[1].decode() if line.startswith(b"HTTP/1.1 ") else "closed"
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ConnectionError) as e:
        status = "refused:" + type(e).__name__
    return status, time.monotonic() - began


async def main():
    gate = asyncio.Event()
    tasks = [asyncio.create_task(one(gate)) for _ in range(count)]
    gate.set()
    try:
        results = await asyncio.wait_for(asyncio.gather(*tasks), bound)
    except asyncio.TimeoutError:
        print(f"some of {count} clients hung past {bound} s")
        return 1
    statuses = [s for s, _ in results]
    ok = statuses.count("200")
    refusals = {}
    for s in statuses:
        if s == "closed" or s.startswith("refused:"):
            refusals[s] = refusals.get(s, 0) + 1
    refused = sum(refusals.values())
    other = len(statuses) - ok - refused
    print(f"{count} clients at once: {ok} answered 200, {other} another status, {refused} refused or closed {refusals}; "
          f"slowest {max(t for _, t in results):.1f} s")
    return 0 if other == 0 else 1


sys.exit(asyncio.run(main()))
