#!/usr/bin/env python3
"""lab_forward.py -- lets this machine's browser reach the console inside the lab's network (netns mode).

  lab_forward.py NETNS LISTEN_PORT TARGET_ADDR TARGET_PORT
      listens on 127.0.0.1:LISTEN_PORT in the namespace it was started in, then enters the network
      namespace NETNS (/run/netns/NETNS, as ip netns names it) and relays every connection, byte for
      byte, to TARGET_ADDR:TARGET_PORT there. TLS goes through untouched: the browser talks to the
      controller's API itself. Prints "listening" once the port is bound; exits 1 with the reason when
      it cannot bind or enter the namespace. Stopped with SIGTERM (tests/lab/lab-down.sh).
"""
import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
CHUNK = 65536


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(os.path.join("/run/netns", name), os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {name}: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)


def pump(src, dst):
    try:
        while True:
            data = src.recv(CHUNK)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def relay(client, target):
    try:
        upstream = socket.create_connection(target, timeout=10)
        upstream.settimeout(None)
    except OSError as e:
        print(f"lab_forward: cannot reach {target[0]}:{target[1]}: {e}", file=sys.stderr)
        client.close()
        return
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    netns, listen_port, target = argv[1], int(argv[2]), (argv[3], int(argv[4]))
    try:
        listener = socket.create_server(("127.0.0.1", listen_port), reuse_port=False)
        enter_netns(netns)  # the listener stays in this namespace; new sockets are made in the lab's
    except OSError as e:
        print(f"lab_forward: {e}", file=sys.stderr)
        return 1
    print("listening", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay, args=(client, target), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
