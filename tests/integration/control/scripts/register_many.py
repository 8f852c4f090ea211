"""Registers COUNT instances in SERVICE_ID from THREADS threads (with an
optional PAD-character attribute), printing
"ACK <id>" (flushed) for each 2xx and "ERR <id> <reason>" otherwise. Used
by the kill -9 durability test, which reads the ACK lines afterwards."""
import concurrent.futures
import sys
import threading

import botocore.exceptions

from client import client

endpoint, service, count, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pad = "p" * int(sys.argv[5]) if len(sys.argv) > 5 else ""
# One client for every thread: boto3 clients are thread-safe, creating them
# concurrently from the default session is not.
shared = client(endpoint)
lock = threading.Lock()


def register(i):
    iid = "inst-%04d" % i
    try:
        shared.register_instance(ServiceId=service, InstanceId=iid,
                                       Attributes={"AWS_INSTANCE_IPV4": "10.1.%d.%d" % (i // 250, i % 250 + 1),
                                           "pad": pad})
        line = "ACK %s" % iid
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        line = "ERR %s %s" % (iid, type(e).__name__)
    with lock:
        print(line, flush=True)


with concurrent.futures.ThreadPoolExecutor(threads) as pool:
    list(pool.map(register, range(count)))
