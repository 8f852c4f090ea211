"""RELIABILITY RG-03 and RG-04 with boto3 threads; prints a JSON summary.

rg03 ENDPOINT: the same RegisterInstance (same CreatorRequestId) five times at
  once, then a re-registration with new attributes.
rg04 ENDPOINT: 1000 register/deregister calls over 100 services from 32
  threads. Each thread owns its instance ids and applies its own random
  sequence, so the expected final state is known whatever the interleaving.
"""
import concurrent.futures
import json
import random
import sys

from client import client, error_code

mode, endpoint = sys.argv[1], sys.argv[2]
# One client for every thread: boto3 clients are thread-safe, creating them
# concurrently from the default session is not.
shared = client(endpoint)


def c():
    return shared


def rg03():
    ns = c().get_operation(OperationId=c().create_http_namespace(Name="rg03.local")[
        "OperationId"])["Operation"]["Targets"]["NAMESPACE"]
    svc = c().create_service(Name="web", NamespaceId=ns)["Service"]["Id"]

    def register(_):
        return c().register_instance(ServiceId=svc, InstanceId="i-1", CreatorRequestId="same-token",
                                     Attributes={"v": "1"})["OperationId"]

    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        ops = list(pool.map(register, range(5)))
    c().register_instance(ServiceId=svc, InstanceId="i-1", Attributes={"v": "2"})
    instances = c().list_instances(ServiceId=svc)["Instances"]
    return {"operation_ids": sorted(set(ops)), "calls": len(ops),
            "instances": [i["Id"] for i in instances],
            "attributes": instances[0]["Attributes"] if instances else {},
            "reused_token": error_code(c().register_instance, ServiceId=svc, InstanceId="i-1",
                                       CreatorRequestId="same-token", Attributes={"v": "3"})}


def rg04():
    ns = c().get_operation(OperationId=c().create_http_namespace(Name="rg04.local")[
        "OperationId"])["Operation"]["Targets"]["NAMESPACE"]
    services = [c().create_service(Name="s%d" % i, NamespaceId=ns)["Service"]["Id"]
                for i in range(100)]
    threads = 32
    per_thread = 1000 // threads + 1
    unexpected = []

    def worker(t):
        rng = random.Random(t)
        registered = set()
        keys = [(services[(t * 7 + k) % 100], "t%d-i%d" % (t, k)) for k in range(4)]
        for _ in range(per_thread):
            svc, iid = rng.choice(keys)
            if rng.random() < 0.6:
                c().register_instance(ServiceId=svc, InstanceId=iid, Attributes={"t": str(t)})
                registered.add((svc, iid))
            else:
                code = error_code(c().deregister_instance, ServiceId=svc, InstanceId=iid)
                expected = None if (svc, iid) in registered else "InstanceNotFound"
                if code != expected:
                    unexpected.append([svc, iid, code])
                registered.discard((svc, iid))
        return registered

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        expected = set().union(*pool.map(worker, range(threads)))
    actual = set()
    for svc in services:
        for page in c().get_paginator("list_instances").paginate(ServiceId=svc):
            actual.update((svc, i["Id"]) for i in page["Instances"])
    return {"expected": len(expected), "actual": len(actual),
            "lost": sorted(map(list, expected - actual)),
            "ghosts": sorted(map(list, actual - expected)), "unexpected": unexpected,
            "calls": threads * per_thread}


print(json.dumps(rg03() if mode == "rg03" else rg04(), sort_keys=True))
