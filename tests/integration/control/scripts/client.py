"""A boto3 servicediscovery client for ferry-control tests (Debian's boto3).

DiscoverInstances carries the "data-" host prefix (CLOUDMAP.md); boto3 is
told not to inject it. Retries are off so every answer is the server's own.
"""
import boto3
import botocore.exceptions
from botocore.config import Config


def client(endpoint):
    return boto3.client(
        "servicediscovery",
        endpoint_url=endpoint,
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1},
                      max_pool_connections=64))


def error_code(call, *args, **kwargs):
    """The Cloud Map error code a call raised, or None if it succeeded."""
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None
