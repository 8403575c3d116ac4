#!/usr/bin/env python3
"""PTY relay for the simgate simulator.

Node cannot open pseudo-terminal pairs by itself, so this process opens them and relays
the bytes of every master over its stdin/stdout, framed as

    type (1 byte) | port id (4 bytes, big endian) | length (4 bytes, big endian) | payload

From the simulator: 1 OPEN (payload: symlink path or empty), 2 DATA, 3 CLOSE.
To the simulator:   1 OPENED (payload: slave path), 2 DATA, 3 CLOSED, 4 FAILED (payload: reason).

The relay keeps its own descriptor of each slave open, so a client that opens and closes
the device does not make the master report EOF. Output a client does not read is buffered
up to a limit and then dropped, as a UART overruns.
"""
import errno
import os
import resource
import selectors
import struct
import sys
import tty

HEADER = struct.Struct(">BII")
MAX_PENDING = 256 * 1024

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard == resource.RLIM_INFINITY or hard > soft:
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
    except (ValueError, OSError):
        pass

sel = selectors.DefaultSelector()
ports = {}  # id -> dict(master, slave, link, pending)
stdin_fd = sys.stdin.fileno()
stdout_fd = sys.stdout.fileno()
os.set_blocking(stdin_fd, False)
inbuf = bytearray()


def send(kind, port_id, payload=b""):
    data = HEADER.pack(kind, port_id, len(payload)) + payload
    view = memoryview(data)
    while view:
        try:
            n = os.write(stdout_fd, view)
            view = view[n:]
        except BlockingIOError:
            selectors.select.select([], [stdout_fd], [])


def open_port(port_id, link):
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    path = os.ttyname(slave)
    if link:
        tmp = link + ".tmp"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(path, tmp)
        os.replace(tmp, link)
    ports[port_id] = {"master": master, "slave": slave, "path": path, "link": link, "pending": bytearray()}
    sel.register(master, selectors.EVENT_READ, port_id)
    send(1, port_id, path.encode())


def close_port(port_id):
    port = ports.pop(port_id, None)
    if port is None:
        return
    sel.unregister(port["master"])
    os.close(port["master"])
    os.close(port["slave"])
    if port["link"]:
        try:
            # Only our own link: a newer port may have taken the name over.
            if os.path.islink(port["link"]) and os.readlink(port["link"]) == port["path"]:
                os.unlink(port["link"])
        except OSError:
            pass
    send(3, port_id)


def flush(port_id):
    port = ports[port_id]
    pending = port["pending"]
    while pending:
        try:
            n = os.write(port["master"], pending)
            del pending[:n]
        except BlockingIOError:
            break
    events = selectors.EVENT_READ | (selectors.EVENT_WRITE if pending else 0)
    sel.modify(port["master"], events, port_id)


def write_port(port_id, payload):
    port = ports.get(port_id)
    if port is None:
        return
    room = MAX_PENDING - len(port["pending"])
    port["pending"] += payload[: max(room, 0)]
    flush(port_id)


def handle_frames():
    while len(inbuf) >= HEADER.size:
        kind, port_id, length = HEADER.unpack_from(inbuf)
        if len(inbuf) < HEADER.size + length:
            return
        payload = bytes(inbuf[HEADER.size : HEADER.size + length])
        del inbuf[: HEADER.size + length]
        if kind == 1:
            try:
                open_port(port_id, payload.decode())
            except OSError as e:
                send(4, port_id, str(e).encode())
        elif kind == 2:
            write_port(port_id, payload)
        elif kind == 3:
            close_port(port_id)


sel.register(stdin_fd, selectors.EVENT_READ, None)
running = True
while running:
    for key, events in sel.select():
        port_id = key.data
        if port_id is None:
            try:
                chunk = os.read(stdin_fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                running = False
                break
            inbuf += chunk
            handle_frames()
            continue
        if port_id not in ports:
            continue
        if events & selectors.EVENT_WRITE:
            flush(port_id)
        if events & selectors.EVENT_READ:
            try:
                data = os.read(key.fd, 65536)
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EIO):
                    continue
                raise
            if data:
                send(2, port_id, data)

for port_id in list(ports):
    close_port(port_id)
